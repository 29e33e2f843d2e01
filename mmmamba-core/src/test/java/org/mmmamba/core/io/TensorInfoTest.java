package org.mmmamba.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TensorInfoTest {

  @Test
  void numelAndByteLength() {
    TensorInfo t = new TensorInfo("w", Dtype.BF16, new long[] {2, 3}, 10, 22);
    assertEquals(6, t.numel());
    assertEquals(12, t.byteLength());
    assertEquals(1, new TensorInfo("s", Dtype.F32, new long[0], 0, 4).numel());
    assertEquals(0, new TensorInfo("e", Dtype.F32, new long[] {0, 5}, 4, 4).numel());
  }

  @Test
  void isImmutableAndComparesShapesByValue() {
    long[] shape = {2, 2};
    TensorInfo t = new TensorInfo("w", Dtype.F32, shape, 0, 16);
    shape[0] = 99;
    t.shape()[1] = 99;
    assertArrayEquals(new long[] {2, 2}, t.shape());
    assertEquals(t, new TensorInfo("w", Dtype.F32, new long[] {2, 2}, 0, 16));
    assertEquals(t.hashCode(), new TensorInfo("w", Dtype.F32, new long[] {2, 2}, 0, 16).hashCode());
  }

  @Test
  void rejectsInconsistentFields() {
    assertThrows(
        IllegalArgumentException.class, () -> new TensorInfo("w", Dtype.F32, new long[] {2}, 0, 4));
    assertThrows(
        IllegalArgumentException.class,
        () -> new TensorInfo("w", Dtype.F32, new long[] {-1}, 0, 0));
    assertThrows(
        IllegalArgumentException.class, () -> new TensorInfo("w", Dtype.F32, new long[] {1}, 8, 4));
    assertThrows(
        ArithmeticException.class,
        () -> new TensorInfo("w", Dtype.F64, new long[] {1L << 40, 1L << 40}, 0, 8));
  }
}
