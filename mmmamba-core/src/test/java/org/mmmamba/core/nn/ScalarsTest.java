package org.mmmamba.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;

/**
 * Gradients through {@link Scalars} survive a garbage collection between forward and backward
 * (DJL's own {@code x.mul(Number)} does not: its scalar's memory is freed, see the class comment),
 * and the values equal the DJL calls' bit for bit.
 */
class ScalarsTest {
  static {
    Offline.init();
  }

  /** Backward of {@code f(x).sum()} after a GC and a burst of small direct buffers holding 1e30. */
  static float[] gradientAfterGc(NDManager m, UnaryOperator<NDArray> f)
      throws InterruptedException {
    NDArray x = m.create(new float[] {1, -2, 3, 0.5f});
    x.setRequiresGradient(true);
    try (NDScope scope = new NDScope()) {
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray y = f.apply(x).sum();
        System.gc();
        Thread.sleep(20);
        List<ByteBuffer> junk = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
          ByteBuffer b = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
          b.putDouble(0, 1e30);
          junk.add(b);
        }
        gc.backward(y);
      }
      return x.getGradient().toFloatArray();
    }
  }

  @Test
  void gradientsSurviveAGarbageCollection() throws Exception {
    try (NDManager m = NDManager.newBaseManager()) {
      for (int t = 0; t < 10; t++) {
        assertArrayEquals(
            new float[] {3, 3, 3, 3},
            gradientAfterGc(m, x -> Scalars.mul(x, 3.0)),
            "mul, try " + t);
        assertArrayEquals(
            new float[] {0.25f, 0.25f, 0.25f, 0.25f},
            gradientAfterGc(m, x -> Scalars.div(x, 4.0)),
            "div, try " + t);
        assertArrayEquals(
            new float[] {1, 0, 1, 0},
            gradientAfterGc(m, x -> Scalars.maximum(x, 0.75)),
            "maximum, try " + t);
        assertArrayEquals(
            new float[] {0, 1, 0, 1},
            gradientAfterGc(m, x -> Scalars.minimum(x, 0.75)),
            "minimum, try " + t);
      }
    }
  }

  static void assertSameBits(NDArray want, NDArray got, String what) {
    assertEquals(want.getDataType(), got.getDataType(), what);
    assertEquals(want.getShape(), got.getShape(), what);
    assertArrayEquals(
        want.toType(DataType.FLOAT64, false).toDoubleArray(),
        got.toType(DataType.FLOAT64, false).toDoubleArray(),
        0.0,
        what);
  }

  @Test
  void valuesEqualDjlsNumberOverloads() {
    try (NDManager m = NDManager.newBaseManager()) {
      for (DataType dt : List.of(DataType.FLOAT32, DataType.FLOAT64)) {
        // a vector, and a 0-d scalar (a loss): 0-d times 0-d promotes to float64, as with DJL's
        // overloads
        for (NDArray x :
            List.of(
                m.create(new double[] {1.1, -2.7, 3e-8, 1e30}).toType(dt, false),
                m.create(13.664880767464638).toType(dt, false))) {
          double v = 1.0 / Math.sqrt(7);
          assertSameBits(x.mul(v), Scalars.mul(x, v), dt + " mul");
          assertSameBits(x.div(v), Scalars.div(x, v), dt + " div");
          assertSameBits(x.maximum(v), Scalars.maximum(x, v), dt + " maximum");
          assertSameBits(x.minimum(v), Scalars.minimum(x, v), dt + " minimum");
        }
      }
    }
  }
}
