package org.mmmamba.distill.train;

import ai.djl.ndarray.NDArray;

/**
 * The user's forward pass for one micro-batch: builds the graph from the trainable parameters and
 * returns a scalar loss (shape () or (1)). Called inside a {@code GradientCollector} and an {@code
 * NDScope} that {@link GradientStep} owns; run frozen parts (a teacher) without gradients, e.g. by
 * calling {@code stopGradient()} on their outputs, and do not close the returned loss.
 */
@FunctionalInterface
public interface MicroBatchLoss {
  /**
   * @param micro the micro-batch index within this optimiser step, 0 ≤ micro &lt; k
   * @return the unscaled mean loss of this micro-batch
   */
  NDArray compute(int micro);
}
