package org.mmmamba.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
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

  @Test
  void downCastOverAnExistingUnitAxisIsExactAndPassesGradients() {
    assertEquals(0, Fp32.outerUnitAxis(new Shape(1, 3, 7)));
    assertEquals(1, Fp32.outerUnitAxis(new Shape(2, 1, 7)));
    assertEquals(-1, Fp32.outerUnitAxis(new Shape(2, 3, 1)), "never the innermost axis");
    assertEquals(-1, Fp32.outerUnitAxis(new Shape(7)));
    for (Shape shape : new Shape[] {new Shape(1, 3, 7), new Shape(2, 1, 7), new Shape(3, 7)}) {
      try (NDManager m = NDManager.newBaseManager()) {
        NDArray f = m.randomNormal(0, 100, shape, DataType.FLOAT32);
        f.setRequiresGradient(true);
        NDArray like = m.zeros(new Shape(1), DataType.FLOAT16);
        NDArray weights = m.randomUniform(0, 8, shape).round();
        NDArray down;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          down = Fp32.as(f, like);
          gc.backward(Fp32.up(down).mul(weights).sum());
        }
        assertEquals(DataType.FLOAT16, down.getDataType(), shape.toString());
        assertEquals(shape, down.getShape());
        assertArrayEquals(
            f.toType(DataType.FLOAT16, false).toType(DataType.FLOAT32, false).toFloatArray(),
            down.toType(DataType.FLOAT32, false).toFloatArray(),
            0f,
            shape.toString());
        assertArrayEquals(weights.toFloatArray(), f.getGradient().toFloatArray(), 0f);
      }
    }
  }
}
