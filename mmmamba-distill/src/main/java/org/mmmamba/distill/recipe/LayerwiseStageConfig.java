package org.mmmamba.distill.recipe;

import java.util.Locale;

/**
 * The settings of a layer-wise stage (1 "distil the new" or 2 "distil the whole", docs/method.md
 * §3.1-3.2).
 *
 * @param training the loop's settings
 * @param lossScale the loss multiplier (1000 in the released code)
 * @param target where student and teacher are compared
 */
public record LayerwiseStageConfig(StageTraining training, double lossScale, LayerTarget target) {
  /** From a validated YAML stage block. */
  static LayerwiseStageConfig of(RunConfig.Stage s) {
    return new LayerwiseStageConfig(
        StageTraining.of(s),
        s.lossScale(),
        LayerTarget.valueOf(s.target().toUpperCase(Locale.ROOT)));
  }
}
