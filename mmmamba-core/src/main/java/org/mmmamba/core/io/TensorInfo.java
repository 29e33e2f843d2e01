package org.mmmamba.core.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * One entry of a safetensors header: a tensor's name, element type, shape and byte range.
 *
 * <p>{@code begin} and {@code end} are relative to the start of the data section (the byte after
 * the header), exactly as in the header's {@code data_offsets}. A scalar has shape {@code []} and
 * one element. The shape array is copied in and out, so a record is immutable; {@code equals}
 * compares shapes by content.
 *
 * @param name tensor name (the header key)
 * @param dtype element type
 * @param shape dimensions, outermost first, each {@code >= 0}
 * @param begin first byte, relative to the data section
 * @param end one past the last byte, relative to the data section
 */
public record TensorInfo(String name, Dtype dtype, long[] shape, long begin, long end) {

  /**
   * Checks that the fields agree with each other.
   *
   * @throws IllegalArgumentException if a dimension is negative, the range is inverted, or {@code
   *     end - begin} is not the byte size implied by shape and dtype
   * @throws ArithmeticException if the element count or byte size overflows a {@code long}
   */
  public TensorInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    shape = shape.clone();
    if (begin < 0 || end < begin) {
      throw new IllegalArgumentException(name + ": bad byte range [" + begin + ", " + end + ")");
    }
    long bytes = Math.multiplyExact(numel(shape), (long) dtype.bytes());
    if (bytes != end - begin) {
      throw new IllegalArgumentException(
          name
              + ": shape "
              + Arrays.toString(shape)
              + " of "
              + dtype
              + " needs "
              + bytes
              + " bytes, range holds "
              + (end - begin));
    }
  }

  /** A copy of the shape. */
  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Number of elements: the product of the dimensions (1 for a scalar). */
  public long numel() {
    return numel(shape);
  }

  /** Number of bytes in the data section: {@code end - begin}. */
  public long byteLength() {
    return end - begin;
  }

  /**
   * Product of dimensions.
   *
   * @throws IllegalArgumentException if a dimension is negative
   * @throws ArithmeticException on overflow
   */
  static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorInfo t
        && name.equals(t.name)
        && dtype == t.dtype
        && Arrays.equals(shape, t.shape)
        && begin == t.begin
        && end == t.end;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
  }

  @Override
  public String toString() {
    return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
  }
}
