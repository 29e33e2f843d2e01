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
 * @param onStep called after every optimiser step, its checkpoint included (progress observers,
 *     memory probes); null for none
 */
public record RunHooks(Path tensorBoard, long evalEvery, MidRunEval eval, StepListener onStep) {
  /**
   * Checks that an evaluation is given exactly when one is asked for.
   *
   * @param tensorBoard see the record
   * @param evalEvery see the record
   * @param eval see the record
   * @param onStep see the record
   */
  public RunHooks {
    if (evalEvery < 0 || (evalEvery > 0) != (eval != null)) {
      throw new IllegalArgumentException("evalEvery " + evalEvery + " with eval " + eval);
    }
  }

  /**
   * Without a step listener.
   *
   * @param tensorBoard see the record
   * @param evalEvery see the record
   * @param eval see the record
   */
  public RunHooks(Path tensorBoard, long evalEvery, MidRunEval eval) {
    this(tensorBoard, evalEvery, eval, null);
  }

  /**
   * @return no TensorBoard, no mid-run evaluation
   */
  public static RunHooks none() {
    return new RunHooks(null, 0, null);
  }

  /**
   * @param listener the step listener (null for none)
   * @return these hooks with {@code listener} called after every step
   */
  public RunHooks withStepListener(StepListener listener) {
    return new RunHooks(tensorBoard, evalEvery, eval, listener);
  }

  /** Observes a training loop: called after every optimiser step, its checkpoint included. */
  @FunctionalInterface
  public interface StepListener {
    /**
     * @param label the run's label ({@code stage1}, {@code stage3:linear}, ...)
     * @param step the optimiser step just completed (1-based)
     */
    void afterStep(String label, long step);
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
