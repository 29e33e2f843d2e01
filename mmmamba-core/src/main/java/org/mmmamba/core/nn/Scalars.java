package org.mmmamba.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Tensor-with-number operations that are safe under autograd.
 *
 * <p>DJL 0.36's {@code x.mul(Number)}, {@code div}, {@code maximum}, {@code minimum}, {@code pow}
 * (PyTorch engine) wrap the number in a 0-d tensor over a Java direct buffer ({@code
 * torch::from_blob}), run the op and close the wrapper at once. Autograd keeps that tensor for the
 * backward pass (d(x·c)/dx = c), but its memory belongs to the closed wrapper's buffer, which the
 * next garbage collection frees: the backward then reads whatever was allocated there since.
 * Gradients come out wrong, depending on GC timing (measured: 17 of 20 backward passes of {@code
 * x.mul(3.0)} gave 1e30 or 0 after a GC and some allocations; a distillation's gradient norm jumped
 * from 12.9 to 164 at one step under a small heap). The scalars here are copied into torch-owned
 * memory, which autograd keeps alive by reference count. Results are bitwise those of the DJL
 * calls.
 */
public final class Scalars {
  private Scalars() {}

  /**
   * A 0-d float64 tensor holding {@code v} on {@code like}'s device, in torch-owned memory: the
   * tensor DJL's Number overloads make, copied, so that type promotion (and every result bit) stays
   * as with them.
   */
  public static NDArray of(NDArray like, double v) {
    try (NDArray javaBacked = like.getManager().create(v)) {
      // duplicate() is torch's clone(); toType(same dtype, copy=true) would hand back the same
      // storage.
      return javaBacked.toDevice(like.getDevice(), false).duplicate();
    }
  }

  /**
   * The same 0-d float64 tensor as {@link #of}, from the device's cache ({@link
   * DeviceConstants#scalar}): made once per device and value, so an op with a constant costs no
   * host-to-device copy. Shared: use it as an operand, never close it.
   */
  public static NDArray constant(NDArray like, double v) {
    NDArray c = DeviceConstants.scalar(like.getDevice(), DataType.FLOAT64, v);
    return c != null ? c : of(like, v);
  }

  /** {@code x + v}. */
  public static NDArray add(NDArray x, double v) {
    return x.add(constant(x, v));
  }

  /** {@code x * v}. */
  public static NDArray mul(NDArray x, double v) {
    return x.mul(constant(x, v));
  }

  /** {@code x / v}. */
  public static NDArray div(NDArray x, double v) {
    return x.div(constant(x, v));
  }

  /** {@code max(x, v)} elementwise. */
  public static NDArray maximum(NDArray x, double v) {
    return x.maximum(constant(x, v));
  }

  /** {@code min(x, v)} elementwise. */
  public static NDArray minimum(NDArray x, double v) {
    return x.minimum(constant(x, v));
  }
}
