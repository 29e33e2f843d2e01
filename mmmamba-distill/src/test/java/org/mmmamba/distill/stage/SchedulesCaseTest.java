package org.mmmamba.distill.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mmmamba.distill.optim.LrSchedule;
import org.mmmamba.distill.recipe.Recipes;

/**
 * Config values are case-insensitive where validate() accepts any case: "WSD" is the wsd schedule.
 */
class SchedulesCaseTest {
  static LrSchedule schedule(String type) {
    return Schedules.of(
        Recipes.parse(
                "stages: {stage1: {steps: 10, lr: 1.0, schedule: {type: "
                    + type
                    + ", warmup: 2, stable: 6, decay: 2}}}",
                "t.yaml",
                List.of())
            .value()
            .stages()
            .stage1());
  }

  @Test
  void upperCaseTypesAreTheSameSchedules() {
    for (String t : List.of("wsd", "cosine", "constant")) {
      LrSchedule lower = schedule(t);
      LrSchedule upper = schedule(t.toUpperCase(java.util.Locale.ROOT));
      for (int k = 0; k <= 10; k++) {
        assertEquals(lower.lr(k), upper.lr(k), t + " at " + k);
      }
    }
    assertNotEquals(
        schedule("constant").lr(9),
        schedule("WSD").lr(9),
        "WSD decays at the end (it ran constant)");
  }
}
