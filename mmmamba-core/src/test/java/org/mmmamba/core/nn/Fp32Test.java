package org.mmmamba.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;

/**
 * The differentiable casts: values exact, gradients passed through unchanged (zeros and negatives
 * included).
 */
class Fp32Test {
  static {
    Offline.init();
  }

  @Test
  void castsAreExactAndPassGradientsThrough() {
    try (NDManager m = NDManager.newBaseManager()) {
      float[] v = {0f, -0f, 1.5f, -2.25f, 0f, 1e-3f, 60000f};
      NDArray h = m.create(v).toType(DataType.FLOAT16, false);
      h.setRequiresGradient(true);
      NDArray f = m.create(v);
      assertSame(f, Fp32.up(f), "float32 passes through");
      assertSame(f, Fp32.as(f, f), "same dtype passes through");
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray up = Fp32.up(h);
        assertEquals(DataType.FLOAT32, up.getDataType());
        NDArray weights = m.create(new float[] {1, 2, 3, 4, 5, 6, 7});
        NDArray down = Fp32.as(up.mul(weights), h);
        assertEquals(DataType.FLOAT16, down.getDataType());
        gc.backward(Fp32.up(down).sum());
      }
      assertArrayEquals(
          new float[] {1, 2, 3, 4, 5, 6, 7},
          h.getGradient().toType(DataType.FLOAT32, false).toFloatArray(),
          0f);
      assertArrayEquals(
          h.toType(DataType.FLOAT32, false).toFloatArray(), Fp32.up(h).toFloatArray(), 0f);
    }
  }
}
