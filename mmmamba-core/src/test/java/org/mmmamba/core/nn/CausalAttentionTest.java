package org.mmmamba.core.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.mmmamba.core.Offline;

/**
 * Query-blocked attention equals the full L x L reference, for any block budget, GQA ratio and
 * cache offset.
 */
class CausalAttentionTest {
  static {
    Offline.init();
  }

  @Property(tries = 40)
  void blockedEqualsReference(
      @ForAll @IntRange(min = 1, max = 2) int b,
      @ForAll @IntRange(min = 1, max = 3) int g,
      @ForAll @IntRange(min = 1, max = 3) int r,
      @ForAll @IntRange(min = 1, max = 20) int lq,
      @ForAll @IntRange(min = 0, max = 9) int offset,
      @ForAll @IntRange(min = 1, max = 200) int budget,
      @ForAll @IntRange(min = 1, max = 6) int halfP) {
    Offline.init();
    int p = 2 * halfP;
    int lk = lq + offset;
    try (NDManager m = NDManager.newBaseManager()) {
      m.getEngine().setRandomSeed(b * 1000 + g * 100 + lq * 10 + offset);
      NDArray q = m.randomNormal(new Shape(b, g * r, lq, p)).toType(DataType.FLOAT64, false);
      NDArray k = m.randomNormal(new Shape(b, g, lk, p)).toType(DataType.FLOAT64, false);
      NDArray v = m.randomNormal(new Shape(b, g, lk, p)).toType(DataType.FLOAT64, false);
      NDArray fast = CausalAttention.attend(q, k, v, budget);
      NDArray slow = CausalAttention.reference(q, k, v);
      double err = fast.sub(slow).abs().max().getDouble();
      assertTrue(err < 1e-12, "blocked vs reference: " + err);
    }
  }

  /** The split value product (the GPU float32 decode path) against the reference. */
  @Property(tries = 30)
  void splitValueProductEqualsReference(
      @ForAll @IntRange(min = 1, max = 2) int g,
      @ForAll @IntRange(min = 1, max = 3) int r,
      @ForAll @IntRange(min = 1, max = 3) int lq,
      @ForAll @IntRange(min = 0, max = 40) int offset,
      @ForAll @IntRange(min = 1, max = 7) int splitKeys) {
    Offline.init();
    int p = 4;
    int lk = lq + offset;
    try (NDManager m = NDManager.newBaseManager()) {
      m.getEngine().setRandomSeed(g * 100 + lq * 10 + offset + 7 * splitKeys);
      NDArray q = m.randomNormal(new Shape(1, g * r, lq, p)).toType(DataType.FLOAT64, false);
      NDArray k = m.randomNormal(new Shape(1, g, lk, p)).toType(DataType.FLOAT64, false);
      NDArray v = m.randomNormal(new Shape(1, g, lk, p)).toType(DataType.FLOAT64, false);
      NDArray fast = CausalAttention.attend(q, k, v, 1 << 20, splitKeys);
      NDArray slow = CausalAttention.reference(q, k, v);
      double err = fast.sub(slow).abs().max().getDouble();
      assertTrue(err < 1e-12, "split value product vs reference: " + err);
    }
  }
}
