package org.mmmamba.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Gated RMSNorm of the Mamba-2 output y with gate g, over groups of {@code groupSize} channels.
 *
 * <ul>
 *   <li>norm before gate (mmMamba, fla {@code FusedRMSNormSwishGate}): {@code rmsnorm(y) * w *
 *       silu(g)};
 *   <li>gate before norm (HF Mamba2): {@code rmsnorm(y * silu(g)) * w}.
 * </ul>
 *
 * Shapes: y, g (B, L, I); w (groupSize) shared by every group, or (I).
 */
public final class GatedRmsNorm {
  private GatedRmsNorm() {}

  /** Applies the norm; returns (B, L, I). */
  public static NDArray apply(
      NDArray y, NDArray g, NDArray w, int groupSize, boolean normBeforeGate, double eps) {
    // Its half-dozen (B, L, I) temporaries are freed on return.
    if (y.getDataType() == ai.djl.ndarray.types.DataType.FLOAT16) {
      // Mixed precision: gate and statistics in float32, result back in y's float16.
      return Scopes.keepOnly(
          () ->
              Fp32.as(
                  compute(Fp32.up(y), Fp32.up(g), Fp32.up(w), groupSize, normBeforeGate, eps), y));
    }
    return Scopes.keepOnly(() -> compute(y, g, w, groupSize, normBeforeGate, eps));
  }

  private static NDArray compute(
      NDArray y, NDArray g, NDArray w, int groupSize, boolean normBeforeGate, double eps) {
    Shape s = y.getShape();
    long inner = s.get(s.dimension() - 1);
    NDArray gate = Activations.silu(g);
    NDArray v = normBeforeGate ? y : y.mul(gate);
    Shape grouped = new Shape(s.get(0), s.get(1), inner / groupSize, groupSize);
    NDArray vg = v.reshape(grouped);
    NDArray ms = vg.square().mean(new int[] {-1}, true);
    NDArray normed = vg.div(Scalars.add(ms, eps).sqrt());
    if (w.getShape().get(0) == groupSize) {
      normed = normed.mul(w);
    }
    normed = normed.reshape(s);
    if (w.getShape().get(0) != groupSize) {
      normed = normed.mul(w);
    }
    return normBeforeGate ? normed.mul(gate) : normed;
  }
}
