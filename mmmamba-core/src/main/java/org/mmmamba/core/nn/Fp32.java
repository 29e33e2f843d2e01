package org.mmmamba.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Float32 islands of float16 compute (mixed precision): the numerically fragile steps (RMSNorm
 * statistics, softmax, the SSD scan's state and decay products, the losses) upcast float16 inputs
 * and, where the result flows on, cast back. Float32 and float64 inputs pass through untouched, so
 * fp32/fp64 results are bitwise as before and no op is added.
 *
 * <p>Both casts are differentiable. DJL 0.36's {@code toType} runs under torch's {@code
 * NoGradGuard} (it cuts the autograd graph), so the casts are made from ops autograd records: up =
 * {@code x + zeros_f32(1)} (type promotion of a 1-d float32 operand; exact), down = {@code cumprod}
 * with {@code dtype=float16} over an axis of size 1 (torch casts the input to that dtype first; the
 * product of one element is the element): an outer axis of {@code x} that has size 1 (one op), else
 * a new leading one (three). Arrays outside any autograd recording (grad mode off: inference,
 * evaluation) take a plain {@code toType}.
 */
public final class Fp32 {
  private Fp32() {}

  /** {@code x} as float32 when it is float16 (differentiable), else {@code x} itself. */
  public static NDArray up(NDArray x) {
    if (x.getDataType() != DataType.FLOAT16) {
      return x;
    }
    if (!recording()) {
      return x.toType(DataType.FLOAT32, false); // no graph to keep: a plain cast
    }
    return x.add(DeviceConstants.zeroVector(x.getDevice(), DataType.FLOAT32));
  }

  /**
   * {@code x} in {@code like}'s dtype when {@code x} is float32 and {@code like} float16
   * (differentiable), else {@code x} itself.
   */
  public static NDArray as(NDArray x, NDArray like) {
    if (like.getDataType() != DataType.FLOAT16 || x.getDataType() != DataType.FLOAT32) {
      return x;
    }
    if (!recording()) {
      return x.toType(DataType.FLOAT16, false); // no graph to keep: a plain cast
    }
    // The scan runs over an axis of size 1 that is not the innermost: torch's outer-dimension scan
    // then runs one thread per element. Along the innermost axis (one scan per element) an
    // fp16-mixed step at HoVLE dims took 20 s instead of ~1 s on an H200. An existing such axis
    // (the
    // batch axis at batch 1) saves the two view ops and their two backward nodes of a new one.
    int axis = outerUnitAxis(x.getShape());
    if (axis >= 0) {
      return x.cumProd(axis, DataType.FLOAT16);
    }
    return x.expandDims(0).cumProd(0, DataType.FLOAT16).squeeze(0);
  }

  /** The first axis of size 1 other than the innermost, or -1. */
  static int outerUnitAxis(ai.djl.ndarray.types.Shape s) {
    for (int i = 0; i < s.dimension() - 1; i++) {
      if (s.get(i) == 1) {
        return i;
      }
    }
    return -1;
  }

  /** Whether autograd records on this thread (DJL's toType would cut the graph then). */
  static boolean recording() {
    return ai.djl.pytorch.jni.JniUtils.isGradMode();
  }

  /**
   * {@code softmax(x)} along {@code axis} computed in float32 (for float16 {@code x}; the result is
   * float32).
   */
  public static NDArray softmax(NDArray x, int axis) {
    if (x.getDataType() == DataType.FLOAT16 && x instanceof ai.djl.pytorch.engine.PtNDArray pt) {
      return ai.djl.pytorch.jni.JniUtils.softmax(pt, axis, DataType.FLOAT32);
    }
    return x.softmax(axis);
  }
}
