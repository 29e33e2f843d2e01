package org.mmmamba.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;
import org.mmmamba.core.BadInputException;

/**
 * Bridge between checkpoint tensors and DJL {@link NDArray}s.
 *
 * <p>Conversion happens in Java (BF16/F16 widened there), so no BFLOAT16 array is ever created:
 * DJL's PyTorch engine aborts the JVM on BFLOAT16.
 */
public final class NdArrays {
  private NdArrays() {}

  /**
   * Loads one tensor as an array of {@code target} type, named after the tensor.
   *
   * <p>Supported targets: FLOAT32 (from any dtype), FLOAT64 (from any dtype; F64 files keep full
   * precision), FLOAT16 (via FLOAT32), INT64 and INT32 (from integer dtypes). The values go into a
   * direct buffer, which is then copied into memory that torch owns, so the array does not depend
   * on the Java buffer's lifetime.
   *
   * @throws IllegalArgumentException for an unsupported target (BFLOAT16 in particular)
   * @throws BadInputException if the tensor is missing, of the wrong kind for the target (float
   *     tensor to an integer target, out-of-range INT32), or over DJL's 2 GiB per-array limit
   */
  public static NDArray load(NDManager m, CheckpointReader r, String name, DataType target) {
    TensorInfo t = r.info(name);
    Shape shape = new Shape(t.shape());
    NDArray out =
        switch (target) {
          case FLOAT32 ->
              fromDirect(
                  m, r, t, shape, DataType.FLOAT32, b -> r.readFloatsInto(name, b.asFloatBuffer()));
          case FLOAT64 ->
              fromDirect(
                  m,
                  r,
                  t,
                  shape,
                  DataType.FLOAT64,
                  b -> r.readDoublesInto(name, b.asDoubleBuffer()));
          case FLOAT16 -> {
            try (NDArray f32 = load(m, r, name, DataType.FLOAT32)) {
              yield f32.toType(DataType.FLOAT16, true);
            }
          }
          case INT64 -> m.create(r.readLongs(name), shape);
          case INT32 -> m.create(toInts(r.readLongs(name), r.fileOf(name), name), shape);
          default ->
              throw new IllegalArgumentException(
                  "cannot load into " + target + "; use FLOAT32, FLOAT64, FLOAT16, INT64 or INT32");
        };
    out.setName(name);
    return out;
  }

  /**
   * Adds an array to a writer under {@code name}: FLOAT32 as F32, FLOAT64 as F64, INT64 as I64. The
   * values are copied out of the array now, so the array may be closed before the writer writes.
   *
   * @throws IllegalArgumentException for other data types, or if the writer rejects the name
   */
  public static void put(SafetensorsWriter w, String name, NDArray a) {
    long[] shape = a.getShape().getShape();
    switch (a.getDataType()) {
      case FLOAT32 -> w.addFloats(name, shape, a.toFloatArray());
      case FLOAT64 -> w.addDoubles(name, shape, a.toDoubleArray());
      case INT64 -> w.addLongs(name, shape, a.toLongArray());
      default ->
          throw new IllegalArgumentException(
              "tensor "
                  + SafetensorsHeader.quote(name)
                  + ": cannot save "
                  + a.getDataType()
                  + "; convert to FLOAT32, FLOAT64 or INT64");
    }
  }

  private static NDArray fromDirect(
      NDManager m,
      CheckpointReader r,
      TensorInfo t,
      Shape shape,
      DataType type,
      Consumer<ByteBuffer> fill) {
    long bytes = Math.multiplyExact(t.numel(), (long) type.getNumOfBytes());
    if (bytes > Integer.MAX_VALUE) {
      throw new BadInputException(
          r.fileOf(t.name())
              + ": tensor "
              + SafetensorsHeader.quote(t.name())
              + " needs "
              + bytes
              + " bytes as "
              + type
              + "; DJL creates arrays of at most 2 GiB from a buffer");
    }
    ByteBuffer buf = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
    fill.accept(buf);
    // create() wraps the direct buffer without copying; duplicate() copies into torch-owned memory.
    try (NDArray view = m.create(buf, shape, type)) {
      return view.duplicate();
    } finally {
      Reference.reachabilityFence(buf);
    }
  }

  private static int[] toInts(long[] v, java.nio.file.Path file, String name) {
    int[] out = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      if (v[i] != (int) v[i]) {
        throw new BadInputException(
            file
                + ": tensor "
                + SafetensorsHeader.quote(name)
                + " value "
                + v[i]
                + " at index "
                + i
                + " does not fit INT32");
      }
      out[i] = (int) v[i];
    }
    return out;
  }
}
