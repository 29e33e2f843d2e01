package org.mmmamba.distill.stage;

import ai.djl.ndarray.NDArray;

/**
 * The layer-wise loss of stages 1 and 2 (docs/method.md §3): mean squared error between the student
 * mixer's output and the teacher attention's output for the same input, both (B, L, H, P) before
 * W_O by default. Pad and image positions are included, as in the reference code.
 */
public final class LayerMse {
  private LayerMse() {}

  /** mean((student - teacher)^2) over every element; a scalar. */
  public static NDArray mse(NDArray student, NDArray teacher) {
    // Mixed precision: the difference and its mean in float32.
    return org.mmmamba.core.nn.Fp32.up(student)
        .sub(org.mmmamba.core.nn.Fp32.up(teacher))
        .square()
        .mean();
  }
}
