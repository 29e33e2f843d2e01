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

  /**
   * Softplus as torch's own op ({@code F.softplus}, beta 1, threshold 20: x itself above 20, as
   * HF's Mamba-2 and mamba_ssm compute dt): one op forward and one backward.
   */
  public static NDArray softplus(NDArray x) {
    return Activation.softPlus(x);
  }

  /**
   * The slow twin of {@link #softplus}: the stable composite max(x, 0) + log(1 + exp(-|x|)), seven
   * ops.
   */
  public static NDArray softplusComposite(NDArray x) {
    return Scalars.maximum(x, 0).add(Scalars.add(x.abs().neg().exp(), 1).log());
  }
}
