package org.mmmamba.distill.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Reading and clearing parameter gradients without DJL's pitfalls (djl-notes §2.1).
 *
 * <ul>
 *   <li>{@code NDArray.getGradient()} returns a fresh handle per call, and float32 zeros (whatever
 *       the parameter's dtype) when no backward reached the parameter. {@link #of} tells "no
 *       gradient" apart (null), as torch's {@code p.grad is None} does.
 *   <li>{@code GradientCollector.zeroGradients()} scans every array in the JVM and leaks handles,
 *       and multiplying a gradient by 0 keeps NaN and Inf. {@link #zero} calls torch's {@code
 *       grad.zero_()}, which clears them, so a skipped non-finite step leaves clean gradients
 *       behind.
 * </ul>
 *
 * <p>On an engine other than PyTorch both fall back to the portable calls ({@code getGradient()},
 * {@code muli(0)}).
 */
public final class Gradients {
  private Gradients() {}

  /**
   * A new handle on {@code p}'s gradient storage (in-place changes reach the real gradient), or
   * null if no backward pass reached {@code p} since it was created. The handle belongs to {@code
   * p}'s manager and the current {@code NDScope}; close it when done.
   *
   * @throws IllegalStateException if {@code p} does not require gradients
   */
  public static NDArray of(NDArray p) {
    if (!p.hasGradient()) {
      throw new IllegalStateException("array '" + p.getName() + "' does not require gradients");
    }
    if (p instanceof PtNDArray pt) {
      return JniUtils.getGradient(pt);
    }
    return p.getGradient();
  }

  /**
   * Sets {@code p}'s gradient to exactly zero (NaN and Inf included), in place; no-op without one.
   */
  public static void zero(NDArray p) {
    if (p instanceof PtNDArray pt) {
      JniUtils.zeroGrad(pt);
      return;
    }
    try (NDArray g = p.getGradient()) {
      g.muli(0);
    }
  }
}
