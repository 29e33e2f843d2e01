package org.mmmamba.distill.stage;

import org.mmmamba.distill.optim.LrSchedule;
import org.mmmamba.distill.recipe.RunConfig;

/** Builds the learning-rate schedule a stage config asks for. */
public final class Schedules {
  private Schedules() {}

  /** wsd (warmup, stable, decay), cosine (warmup, then cosine to 0 at {@code steps}), constant (warmup). */
  public static LrSchedule of(RunConfig.Stage s) {
    RunConfig.Schedule sc = s.schedule();
    long warm = Math.min(sc.warmup(), s.steps());
    switch (sc.type().toLowerCase(java.util.Locale.ROOT)) { // validate() accepts any case
      case "wsd": {
        long decay = sc.decay() == null ? 0 : sc.decay();
        long stable = sc.stable() == null ? Math.max(0, s.steps() - warm - decay) : sc.stable();
        return LrSchedule.Wsd.of(s.lr(), warm, stable, decay);
      }
      case "cosine":
        return LrSchedule.Cosine.of(s.lr(), warm, Math.max(s.steps(), warm + 1), 0.0);
      default:
        return new LrSchedule.Constant(s.lr(), warm);
    }
  }
}
