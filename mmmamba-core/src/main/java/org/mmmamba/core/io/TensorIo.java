package org.mmmamba.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.mmmamba.core.BadInputException;

/**
 * Moves live training arrays to and from safetensors files without disturbing the arrays' identity.
 *
 * <p>Writing is lazy: the bytes of an array are copied out only when the writer streams that
 * tensor, so a checkpoint of a large model never holds more than one tensor's copy on the heap.
 * Reading copies into the existing array ({@code index_put_} over the whole array), so layers
 * holding a reference to it, and views of it, see the new values. DJL's {@code NDArray.set(Buffer)}
 * is not used for that: on CPU it swaps the tensor's storage for the Java buffer instead of
 * copying, which would detach existing views.
 */
public final class TensorIo {
  private TensorIo() {}

  /**
   * Adds {@code a} to {@code w} under {@code name}; its bytes are read when {@code w} writes, so
   * keep the array alive and unchanged until then.
   *
   * @throws IllegalArgumentException for a data type safetensors cannot hold here, or a name the
   *     writer rejects
   */
  public static void put(SafetensorsWriter w, String name, NDArray a) {
    Dtype dtype = dtypeOf(a.getDataType(), name);
    long[] shape = a.getShape().getShape();
    if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
      NdArrays.put(w, name, a); // rare platform: eager, converting copy
      return;
    }
    // DJL returns the tensor's bytes in native (here little-endian) order, contiguous, row-major.
    w.add(name, dtype, shape, () -> a.toByteBuffer());
  }

  /**
   * Copies tensor {@code name} of {@code r} into {@code target} in place, converting the dtype if
   * needed. Must run outside a {@code GradientCollector} (torch refuses in-place writes to leaves
   * that require gradients while recording).
   *
   * @throws BadInputException if the tensor is missing or its shape differs from the target's
   */
  public static void copyInto(CheckpointReader r, String name, NDArray target) {
    TensorInfo t = r.info(name); // BadInputException names a missing tensor
    long[] want = target.getShape().getShape();
    if (!Arrays.equals(t.shape(), want)) {
      throw new BadInputException(
          r.fileOf(name)
              + ": tensor '"
              + name
              + "' has shape "
              + Arrays.toString(t.shape())
              + ", expected "
              + Arrays.toString(want));
    }
    try (NDManager tmp = NDManager.newBaseManager(target.getDevice())) {
      NDArray src = NdArrays.load(tmp, r, name, target.getDataType());
      target.set(new NDIndex("..."), src);
    }
  }

  /** The safetensors dtype of a DJL data type. */
  static Dtype dtypeOf(DataType t, String name) {
    return switch (t) {
      case FLOAT64 -> Dtype.F64;
      case FLOAT32 -> Dtype.F32;
      case FLOAT16 -> Dtype.F16;
      case INT64 -> Dtype.I64;
      case INT32 -> Dtype.I32;
      case INT8 -> Dtype.I8;
      case UINT8 -> Dtype.U8;
      case BOOLEAN -> Dtype.BOOL;
      default -> throw new IllegalArgumentException("tensor '" + name + "': cannot save " + t);
    };
  }
}
