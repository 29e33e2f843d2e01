package org.mmmamba.distill.eval;

import java.util.Map;

/**
 * Evaluation of one model on one dataset.
 *
 * @param name model name (teacher, linear, hybrid, ...)
 * @param n samples evaluated
 * @param accuracy exact-match accuracy of greedy answers after normalisation
 * @param agreement fraction of answers equal to the teacher's (null without a teacher)
 * @param kl mean KL(teacher || model) per answer token, teacher-forced (null without a teacher)
 * @param perplexity exp(mean NLL) of the reference answer tokens
 * @param byType accuracy and count per question type
 * @param decodeTokensPerSecond generated tokens per second during greedy answering (prefill
 *     included)
 */
public record EvalReport(
    String name,
    int n,
    double accuracy,
    Double agreement,
    Double kl,
    double perplexity,
    Map<String, TypeScore> byType,
    double decodeTokensPerSecond) {
  /** Accuracy on one question type. */
  public record TypeScore(int n, double accuracy) {}
}
