package org.mmmamba.distill.recipe;

/**
 * The settings of stage 3 "end to end" (docs/method.md §3.3).
 *
 * @param training the loop's settings
 * @param temperature the KL temperature
 * @param answerOnly count answer tokens only (else every next-token position)
 * @param ceWeight weight of an added next-token cross-entropy (0 in the released code)
 */
public record EndToEndStageConfig(
    StageTraining training, double temperature, boolean answerOnly, double ceWeight) {
  /** From a validated YAML stage block. */
  static EndToEndStageConfig of(RunConfig.Stage s) {
    return new EndToEndStageConfig(
        StageTraining.of(s), s.temperature(), Boolean.TRUE.equals(s.answerOnly()), s.ceWeight());
  }
}
