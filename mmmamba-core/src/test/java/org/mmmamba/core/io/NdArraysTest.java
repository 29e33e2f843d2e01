package org.mmmamba.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Offline;

/**
 * The DJL bridge on the PyTorch engine (offline), including BF16 files, which DJL itself cannot
 * load.
 */
class NdArraysTest {
  @TempDir Path dir;

  // 0.1 + 2^-40 differs from 0.1 only beyond float precision: survives F64 but not F32.
  private static final double FINE = 0.1 + 0x1p-40;

  @BeforeAll
  static void offline() {
    Offline.init(); // before NDManager touches the engine
  }

  private CheckpointReader checkpoint() {
    new SafetensorsWriter()
        .addFloats("w32", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6})
        .addDoubles("w64", new long[] {2}, new double[] {FINE, -3})
        .addFloatsAsBf16("wbf16", new long[] {3}, new float[] {1.5f, -2f, 0.15625f})
        .addLongs("ids", new long[] {3}, new long[] {7, -1, 1L << 40})
        .addFloats("scalar", new long[0], new float[] {4})
        .write(dir.resolve("model.safetensors"));
    return CheckpointReader.open(dir);
  }

  @Test
  void loadsF32F64AndBf16Tensors() {
    try (CheckpointReader r = checkpoint();
        NDManager m = NDManager.newBaseManager()) {
      NDArray a = NdArrays.load(m, r, "w32", DataType.FLOAT32);
      assertEquals(new Shape(2, 3), a.getShape());
      assertEquals(DataType.FLOAT32, a.getDataType());
      assertEquals("w32", a.getName());
      assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, a.toFloatArray());

      NDArray d = NdArrays.load(m, r, "w64", DataType.FLOAT64);
      assertEquals(DataType.FLOAT64, d.getDataType());
      assertArrayEquals(new double[] {FINE, -3}, d.toDoubleArray()); // full precision kept

      NDArray b = NdArrays.load(m, r, "wbf16", DataType.FLOAT32);
      assertArrayEquals(new float[] {1.5f, -2f, 0.15625f}, b.toFloatArray());
      NDArray b64 = NdArrays.load(m, r, "wbf16", DataType.FLOAT64);
      assertArrayEquals(new double[] {1.5, -2, 0.15625}, b64.toDoubleArray());

      NDArray narrowed = NdArrays.load(m, r, "w64", DataType.FLOAT32);
      assertArrayEquals(new float[] {(float) FINE, -3f}, narrowed.toFloatArray());

      NDArray half = NdArrays.load(m, r, "w32", DataType.FLOAT16);
      assertEquals(DataType.FLOAT16, half.getDataType());
      assertArrayEquals(
          new float[] {1, 2, 3, 4, 5, 6}, half.toType(DataType.FLOAT32, false).toFloatArray());

      NDArray ids = NdArrays.load(m, r, "ids", DataType.INT64);
      assertArrayEquals(new long[] {7, -1, 1L << 40}, ids.toLongArray());
      assertThrows(BadInputException.class, () -> NdArrays.load(m, r, "ids", DataType.INT32));

      NDArray s = NdArrays.load(m, r, "scalar", DataType.FLOAT32);
      assertEquals(new Shape(), s.getShape());
      assertEquals(4f, s.getFloat());
    }
  }

  @Test
  void loadedArraysOwnTheirMemory() {
    try (CheckpointReader r = checkpoint();
        NDManager m = NDManager.newBaseManager()) {
      NDArray a = NdArrays.load(m, r, "w32", DataType.FLOAT32);
      System.gc(); // the direct buffer it came from may be freed now
      a.addi(1);
      assertArrayEquals(new float[] {2, 3, 4, 5, 6, 7}, a.toFloatArray());
    }
  }

  @Test
  void refusesBf16AndOtherUnsupportedTargets() {
    try (CheckpointReader r = checkpoint();
        NDManager m = NDManager.newBaseManager()) {
      assertThrows(
          IllegalArgumentException.class, () -> NdArrays.load(m, r, "wbf16", DataType.BFLOAT16));
      assertThrows(
          IllegalArgumentException.class, () -> NdArrays.load(m, r, "w32", DataType.UINT8));
      assertThrows(BadInputException.class, () -> NdArrays.load(m, r, "w32", DataType.INT64));
      assertThrows(BadInputException.class, () -> NdArrays.load(m, r, "missing", DataType.FLOAT32));
    }
  }

  @Test
  void putWritesArraysThatLoadBack() {
    Path p = dir.resolve("out.safetensors");
    try (NDManager m = NDManager.newBaseManager()) {
      SafetensorsWriter w = new SafetensorsWriter();
      NdArrays.put(w, "f", m.create(new float[] {1, 2, 3, 4}, new Shape(2, 2)));
      NdArrays.put(w, "d", m.create(new double[] {FINE}));
      NdArrays.put(w, "l", m.create(new long[] {5, 6}));
      assertThrows(
          IllegalArgumentException.class, () -> NdArrays.put(w, "i", m.create(new int[] {1})));
      w.write(p);
    }
    try (SafetensorsFile f = SafetensorsFile.open(p)) {
      assertEquals(Dtype.F32, f.info("f").dtype());
      assertArrayEquals(new long[] {2, 2}, f.info("f").shape());
      assertArrayEquals(new float[] {1, 2, 3, 4}, f.readFloats("f"));
      assertArrayEquals(new double[] {FINE}, f.readDoubles("d"));
      assertArrayEquals(new long[] {5, 6}, f.readLongs("l"));
    }
  }
}
