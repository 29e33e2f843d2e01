package org.mmmamba.distill.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Hand-computed values of each schedule (transformers' formulas, worked out on paper). */
class LrScheduleTest {
  @Test
  void constantWithWarmup() {
    LrSchedule s = new LrSchedule.Constant(1e-3, 4).validate();
    assertEquals(0.0, s.lr(0));
    assertEquals(0.25e-3, s.lr(1), 1e-18);
    assertEquals(0.75e-3, s.lr(3), 1e-18);
    assertEquals(1e-3, s.lr(4));
    assertEquals(1e-3, s.lr(1_000_000));
    assertEquals(2.0, new LrSchedule.Constant(2.0, 0).lr(0));
  }

  @Test
  void wsdOfficialShape() {
    // the stage-1 recipe: 2000 warmup, 16000 stable, 2000 decay, lr 1e-3, decay to 0 along half a
    // cosine
    LrSchedule.Wsd s = LrSchedule.Wsd.of(1e-3, 2000, 16000, 2000).validate();
    assertEquals(20000, s.totalSteps());
    assertEquals(0.0, s.lr(0));
    assertEquals(0.5e-3, s.lr(1000), 1e-18);
    assertEquals(1e-3 * 1999 / 2000, s.lr(1999), 1e-18);
    assertEquals(1e-3, s.lr(2000));
    assertEquals(1e-3, s.lr(17999));
    assertEquals(1e-3, s.lr(18000)); // decay progress 0: cos(0) = 1
    assertEquals(0.5e-3, s.lr(19000), 1e-15); // progress 1/2: ½(1 + cos(π/2)) = ½
    // progress 1/4: ½(1 + cos(π/4)) = ½ + √2/4 = 0.85355339...
    assertEquals(1e-3 * (0.5 + Math.sqrt(2) / 4), s.lr(18500), 1e-15);
    assertEquals(1e-3 * 0.5 * (1 + Math.cos(Math.PI * 1999 / 2000)), s.lr(19999), 1e-18);
    assertTrue(s.lr(19999) < 1e-8);
    assertEquals(0.0, s.lr(20000)); // after the decay: min_lr_ratio = 0
    assertEquals(0.0, s.lr(50000));
  }

  @Test
  void wsdWithMinRatio() {
    LrSchedule.Wsd s = new LrSchedule.Wsd(1.0, 10, 0, 10, 0.1, 0.5).validate();
    assertEquals(0.1, s.lr(0), 1e-15); // warmup starts at r
    assertEquals(0.1 + 0.9 * 0.5, s.lr(5), 1e-15);
    assertEquals(1.0, s.lr(10)); // no stable phase: decay starts at 1
    assertEquals(0.1 + 0.9 * 0.5, s.lr(15), 1e-15);
    assertEquals(0.1, s.lr(20), 0.0);
  }

  @Test
  void cosineToMin() {
    LrSchedule.Cosine s = LrSchedule.Cosine.of(2.0, 2, 12, 0.25).validate();
    assertEquals(0.0, s.lr(0));
    assertEquals(1.0, s.lr(1));
    assertEquals(2.0, s.lr(2));
    assertEquals(2.0 * (0.25 + 0.75 * 0.5), s.lr(7), 1e-15); // progress 5/10
    assertEquals(0.5, s.lr(12), 1e-15); // end: r * peak
    assertEquals(0.5, s.lr(30), 1e-15); // capped after the end
  }

  @Test
  void validateNamesTheField() {
    assertMessage("peakLr", () -> new LrSchedule.Constant(0, 1).validate());
    assertMessage("warmupSteps", () -> new LrSchedule.Constant(1, -1).validate());
    assertMessage("decaySteps", () -> new LrSchedule.Wsd(1, 1, 1, -1, 0, 0.5).validate());
    assertMessage("minLrRatio", () -> new LrSchedule.Wsd(1, 1, 1, 1, 1.5, 0.5).validate());
    assertMessage("numCycles", () -> new LrSchedule.Wsd(1, 1, 1, 1, 0, 0).validate());
    assertMessage("totalSteps", () -> LrSchedule.Cosine.of(1, 10, 5, 0).validate());
    assertThrows(IllegalArgumentException.class, () -> new LrSchedule.Constant(1, 1).lr(-1));
  }

  private static void assertMessage(String field, org.junit.jupiter.api.function.Executable e) {
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
    assertTrue(ex.getMessage().startsWith(field), ex.getMessage());
  }
}
