package org.mmmamba.distill.train;

import java.nio.file.Path;
import java.util.Map;

/**
 * What a {@link TrainingRun} does besides training: where its TensorBoard event files go, and a
 * held-out evaluation every {@code evalEvery} steps (and after the last step).
 *
 * @param tensorBoard the TensorBoard log directory of this run (e.g. {@code runs/x/tb/stage1});
 *     null for none
 * @param evalEvery steps between mid-run evaluations; 0 for none
 * @param eval the evaluation, called with the step just completed; returns named figures (e.g.
 *     {@code exact_match}, {@code agreement}, {@code kl}), logged to metrics.jsonl as an {@code
 *     eval} event and to TensorBoard as {@code eval/<name>}; null when {@code evalEvery} is 0
 */
public record RunHooks(Path tensorBoard, long evalEvery, MidRunEval eval) {
  /**
   * Checks that an evaluation is given exactly when one is asked for.
   *
   * @param tensorBoard see the record
   * @param evalEvery see the record
   * @param eval see the record
   */
  public RunHooks {
    if (evalEvery < 0 || (evalEvery > 0) != (eval != null)) {
      throw new IllegalArgumentException("evalEvery " + evalEvery + " with eval " + eval);
    }
  }

  /**
   * @return no TensorBoard, no mid-run evaluation
   */
  public static RunHooks none() {
    return new RunHooks(null, 0, null);
  }

  /**
   * @param dir the TensorBoard log directory
   * @return TensorBoard only
   */
  public static RunHooks tensorBoard(Path dir) {
    return new RunHooks(dir, 0, null);
  }

  /** A held-out evaluation run during training. */
  @FunctionalInterface
  public interface MidRunEval {
    /**
     * Evaluates the model as it is after {@code step}.
     *
     * @param step the optimiser step just completed
     * @return named figures, in a stable order
     */
    Map<String, Double> evaluate(long step);
  }
}
