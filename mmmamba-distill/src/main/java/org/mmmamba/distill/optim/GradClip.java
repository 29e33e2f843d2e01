package org.mmmamba.distill.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.Collection;

/**
 * Global-norm gradient clipping with {@code torch.nn.utils.clip_grad_norm_} semantics (norm type
 * 2).
 *
 * <pre>
 *   total = ‖(‖g_1‖₂, …, ‖g_n‖₂)‖₂            the 2-norm over all gradients as one vector
 *   coef  = maxNorm / (total + 1e-6)
 *   g_i  ← g_i · coef                         in place, only if coef &lt; 1
 * </pre>
 *
 * <p>torch multiplies by {@code min(coef, 1)} always; multiplying by 1 changes nothing, so this is
 * the same. The per-tensor norms are taken in the gradient's dtype and combined in float64 (torch
 * combines them in the gradient dtype; the difference is rounding only). A non-finite total is
 * returned as is and nothing is scaled (torch would spread the NaN into every gradient); the caller
 * decides to skip the step, see {@link NonFinite}. One host read per call.
 */
public final class GradClip {
  /** torch's constant in the denominator. */
  public static final double EPS = 1e-6;

  private GradClip() {}

  /**
   * Clips {@code grads} in place to global 2-norm {@code maxNorm} and returns the norm before
   * clipping.
   *
   * @param maxNorm the bound, > 0; {@link Double#POSITIVE_INFINITY} only measures
   * @throws IllegalArgumentException if {@code maxNorm} is not > 0 or {@code grads} is empty
   */
  public static double clipGlobalNorm(Collection<NDArray> grads, double maxNorm) {
    if (!(maxNorm > 0)) {
      throw new IllegalArgumentException("maxNorm must be > 0, got " + maxNorm);
    }
    double total = globalNorm(grads);
    double coef = maxNorm / (total + EPS);
    if (Double.isFinite(total) && coef < 1) {
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        // One 0-d factor per (device, dtype), not one per gradient: on a GPU each create() is a
        // host-to-device copy.
        java.util.Map<String, NDArray> factors = new java.util.HashMap<>();
        for (NDArray g : grads) {
          NDArray f =
              factors.computeIfAbsent(
                  g.getDevice() + ":" + g.getDataType(),
                  k -> g.getManager().create(coef).toType(g.getDataType(), false));
          g.muli(f);
        }
      }
    }
    return total;
  }

  /**
   * Clips a flattened, concatenated gradient vector in place (see {@link AdamW#flatGradient}) and
   * returns the norm before clipping: one norm and at most one multiplication, where the
   * per-gradient form takes two ops per gradient. The norm is one reduction over all elements
   * (mathematically the norm of the per-gradient norms; rounding differs). {@code maxNorm} {@link
   * Double#POSITIVE_INFINITY} only measures. One host read.
   */
  public static double clipFlat(NDArray flat, double maxNorm) {
    if (!(maxNorm > 0)) {
      throw new IllegalArgumentException("maxNorm must be > 0, got " + maxNorm);
    }
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      double total = flat.norm().toType(DataType.FLOAT64, false).getDouble();
      double coef = maxNorm / (total + EPS);
      if (Double.isFinite(total) && coef < 1) {
        flat.muli(flat.getManager().create(coef).toType(flat.getDataType(), false));
      }
      return total;
    }
  }

  /**
   * Clips each group of a flat gradient vector (see {@link AdamW#flatGradient}) to {@code maxNorm}
   * by its own norm, in place, and returns the global norm before clipping. Group g is the range
   * {@code [starts[g], ends[g])}. Two host transfers whatever the number of groups (the group norms
   * read at once, the clip factors written at once), where clipping each group's gradients
   * separately reads one norm per group: on a GPU every read waits for the device.
   */
  public static double clipFlatGroups(NDArray flat, long[] starts, long[] ends, double maxNorm) {
    if (!(maxNorm > 0)) {
      throw new IllegalArgumentException("maxNorm must be > 0, got " + maxNorm);
    }
    if (starts.length == 0 || starts.length != ends.length) {
      throw new IllegalArgumentException("need as many group starts as ends, at least one");
    }
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      ai.djl.ndarray.NDList norms = new ai.djl.ndarray.NDList(starts.length);
      NDArray[] parts = new NDArray[starts.length];
      for (int g = 0; g < starts.length; g++) {
        parts[g] = flat.get("{}:{}", starts[g], ends[g]);
        norms.add(parts[g].norm());
      }
      double[] n =
          ai.djl.ndarray.NDArrays.stack(norms).toType(DataType.FLOAT64, false).toDoubleArray();
      double sq = 0;
      for (double v : n) {
        sq += v * v;
      }
      double total = Math.sqrt(sq);
      if (!Double.isFinite(total) || maxNorm == Double.POSITIVE_INFINITY) {
        return total; // the caller skips a non-finite step; nothing to scale
      }
      double[] coef = new double[n.length];
      boolean any = false;
      for (int g = 0; g < n.length; g++) {
        coef[g] = maxNorm / (n[g] + EPS);
        any |= coef[g] < 1;
      }
      if (any) {
        NDArray factors = flat.getManager().create(coef).toType(flat.getDataType(), false);
        for (int g = 0; g < n.length; g++) {
          if (coef[g] < 1) {
            parts[g].muli(factors.get(g));
          }
        }
      }
      return total;
    }
  }

  /**
   * The global 2-norm of {@code grads} (see the class comment), without changing them.
   *
   * @throws IllegalArgumentException if {@code grads} is empty
   */
  public static double globalNorm(Collection<NDArray> grads) {
    if (grads.isEmpty()) {
      throw new IllegalArgumentException("no gradients");
    }
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      // Per gradient its norm (2 ops), then one stack, one cast, one square and one sum for all
      // of them (like torch's foreach norms + a norm of the stack), instead of 5 ops per gradient:
      // on a GPU every op costs a launch and a JNI call.
      ai.djl.ndarray.NDList norms = new ai.djl.ndarray.NDList(grads.size());
      boolean mixed = false;
      for (NDArray g : grads) {
        // flatten: DJL's norm() of a 0-d array is fine, but norm over a reshaped vector is uniform
        norms.add(g.reshape(-1).norm());
        mixed |= norms.get(norms.size() - 1).getDataType() != norms.get(0).getDataType();
      }
      if (mixed) { // stack needs one dtype
        for (int i = 0; i < norms.size(); i++) {
          norms.set(i, norms.get(i).toType(DataType.FLOAT64, false));
        }
      }
      NDArray all = ai.djl.ndarray.NDArrays.stack(norms).toType(DataType.FLOAT64, false);
      return Math.sqrt(all.mul(all).sum().getDouble());
    }
  }
}
