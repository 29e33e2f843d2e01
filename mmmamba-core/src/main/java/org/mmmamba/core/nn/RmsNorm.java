package org.mmmamba.core.nn;

import ai.djl.ndarray.NDArray;

/** RMSNorm over the last axis: {@code x / sqrt(mean(x^2) + eps) * w}. */
public final class RmsNorm {
  private RmsNorm() {}

  /**
   * @param x (..., D)
   * @param w (D), broadcast over the leading axes
   * @param eps added to the mean square
   */
  public static NDArray apply(NDArray x, NDArray w, double eps) {
    if (x.getDataType() == ai.djl.ndarray.types.DataType.FLOAT16) {
      // Mixed precision: statistics and normalisation in float32, cast back before the weight (as
      // HF does).
      return Scopes.keepOnly(
          () -> {
            NDArray x32 = Fp32.up(x);
            return Fp32.as(
                    x32.div(Scalars.add(x32.square().mean(new int[] {-1}, true), eps).sqrt()), x)
                .mul(w);
          });
    }
    return Scopes.keepOnly(
        () -> x.div(Scalars.add(x.square().mean(new int[] {-1}, true), eps).sqrt()).mul(w));
  }
}
