package org.mmmamba.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** Activations DJL 0.36 lacks. */
public final class Activations {
  private Activations() {}

  /** SiLU (swish with beta 1): x * sigmoid(x). */
  public static NDArray silu(NDArray x) {
    return x.mul(Activation.sigmoid(x));
  }

  /** Numerically stable softplus: max(x, 0) + log(1 + exp(-|x|)) (DJL's overflows for large x). */
  public static NDArray softplus(NDArray x) {
    return Scalars.maximum(x, 0).add(Scalars.add(x.abs().neg().exp(), 1).log());
  }
}
