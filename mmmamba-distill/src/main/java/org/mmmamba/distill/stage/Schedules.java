package org.mmmamba.distill.stage;

import org.mmmamba.distill.optim.LrSchedule;
import org.mmmamba.distill.recipe.RunConfig;
import org.mmmamba.distill.recipe.StageTraining;

/** Builds the learning-rate schedule a stage config asks for. */
public final class Schedules {
  private Schedules() {}

  /** Same from a validated YAML stage block (teacher training). */
  public static LrSchedule of(RunConfig.Stage s) {
    return of(StageTraining.of(s));
  }

  /**
   * wsd (warmup, stable, decay), cosine (warmup, then cosine to 0 at {@code steps}), constant
   * (warmup).
   */
  public static LrSchedule of(StageTraining s) {
    long warm = Math.min(s.warmup(), s.steps());
    switch (s.schedule()) {
      case WSD:
        {
          long decay = s.decay() == null ? 0 : s.decay();
          long stable = s.stable() == null ? Math.max(0, s.steps() - warm - decay) : s.stable();
          return LrSchedule.Wsd.of(s.lr(), warm, stable, decay);
        }
      case COSINE:
        return LrSchedule.Cosine.of(s.lr(), warm, Math.max(s.steps(), warm + 1), 0.0);
      default:
        return new LrSchedule.Constant(s.lr(), warm);
    }
  }
}
