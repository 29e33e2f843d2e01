package org.mmmamba.examples.jmh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;
import org.mmmamba.core.nn.CausalAttention;

/**
 * The benchmark's folded-GQA decode attention equals the library's attention (and its L×L
 * reference).
 */
class AttentionDecodeVariantsTest {
  static {
    Offline.init();
  }

  @Test
  void foldedEqualsLibraryAndReference() {
    try (NDManager m = NDManager.newBaseManager()) {
      m.getEngine().setRandomSeed(7);
      NDArray q =
          m.randomNormal(new ai.djl.ndarray.types.Shape(1, 6, 1, 8))
              .toType(DataType.FLOAT64, false);
      NDArray kBuf =
          m.randomNormal(new ai.djl.ndarray.types.Shape(1, 2, 40, 8))
              .toType(DataType.FLOAT64, false);
      NDArray vBuf =
          m.randomNormal(new ai.djl.ndarray.types.Shape(1, 2, 40, 8))
              .toType(DataType.FLOAT64, false);
      NDArray k = kBuf.get(":, :, :33");
      NDArray v = vBuf.get(":, :, :33");
      double[] folded = DecodeAttention.foldedGqa(q, k, v).toDoubleArray();
      assertArrayEquals(CausalAttention.attend(q, k, v).toDoubleArray(), folded, 1e-12);
      assertArrayEquals(CausalAttention.reference(q, k, v).toDoubleArray(), folded, 1e-12);
    }
  }
}
