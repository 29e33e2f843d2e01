package org.mmmamba.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.RopeScaling;

/**
 * RoPE applied to q and k concatenated along the heads (as {@link Attention} does) equals applying
 * it to each, bit for bit; and the rotation matches the rotate-half formula computed in Java.
 */
class RopeTest {
  static {
    Offline.init();
  }

  @Test
  void jointEqualsSeparateAndTheFormula() {
    Rope rope = new Rope(10000.0, RopeScaling.none(), 8);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray q = m.randomNormal(new Shape(2, 4, 5, 8));
      NDArray k = m.randomNormal(new Shape(2, 2, 5, 8));
      NDList cs = rope.tables(m, DataType.FLOAT32, 3, 5, 8);
      NDList joint = Rope.apply(q.concat(k, 1), cs.get(0), cs.get(1)).split(new long[] {4}, 1);
      NDArray qr = Rope.apply(q, cs.get(0), cs.get(1));
      assertArrayEquals(qr.toFloatArray(), joint.get(0).toFloatArray(), 0f);
      assertArrayEquals(
          Rope.apply(k, cs.get(0), cs.get(1)).toFloatArray(), joint.get(1).toFloatArray(), 0f);
      // the formula at batch 1, head 2, token 4 (position 7): rotate-half with theta^(-2i/P)
      float[] x = q.get("1, 2, 4").toFloatArray();
      float[] got = qr.get("1, 2, 4").toFloatArray();
      for (int i = 0; i < 8; i++) {
        int j = i % 4;
        double a = 7 * Math.pow(10000.0, -2.0 * j / 8);
        double rot = i < 4 ? -x[i + 4] : x[i - 4];
        assertArrayEquals(
            new float[] {(float) (x[i] * Math.cos(a) + rot * Math.sin(a))},
            new float[] {got[i]},
            1e-5f,
            "dim " + i);
      }
    }
  }
}
