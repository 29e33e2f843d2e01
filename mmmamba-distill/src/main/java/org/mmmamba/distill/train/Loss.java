package org.mmmamba.distill.train;

import ai.djl.ndarray.NDArray;

/**
 * The one loss interface of training: builds a scalar loss (shape () or (1)) from the trainable
 * parameters for one input. A stage's loss takes a {@code Batch} ({@link TrainingRun} hands it the
 * next micro-batch); {@link GradientStep} calls a {@code Loss<Integer>} with the micro-batch index
 * 0 ≤ i &lt; k of the optimiser step.
 *
 * <p>Called inside a {@code GradientCollector} and an {@code NDScope} that {@link GradientStep}
 * owns; run frozen parts (a teacher) without gradients, e.g. by calling {@code stopGradient()} on
 * their outputs, and do not close the returned loss.
 *
 * @param <I> what one evaluation of the loss reads: a batch, or a micro-batch index
 */
@FunctionalInterface
public interface Loss<I> {
  /**
   * @param input the batch (or micro-batch index)
   * @return the unscaled mean loss of this input
   */
  NDArray loss(I input);
}
