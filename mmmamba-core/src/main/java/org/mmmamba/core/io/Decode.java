package org.mmmamba.core.io;

import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;

/**
 * Converts little-endian element bytes of any {@link Dtype} to Java primitives.
 *
 * <p>All methods read elements {@code [from, from + n)} of {@code src} by absolute index (counted
 * in elements from the buffer's position 0) and leave its position alone. {@code src} must be
 * little-endian ordered.
 */
final class Decode {
  private Decode() {}

  /** Floats: exact for F32/F16/BF16, rounded for F64 and for integers beyond 2^24. */
  static void floats(Dtype d, ByteBuffer src, int from, float[] dst, int off, int n) {
    switch (d) {
      case F32 -> src.asFloatBuffer().get(from, dst, off, n);
      case F64 -> {
        DoubleBuffer b = src.asDoubleBuffer();
        for (int i = 0; i < n; i++) {
          dst[off + i] = (float) b.get(from + i);
        }
      }
      case F16 -> {
        ShortBuffer b = src.asShortBuffer();
        for (int i = 0; i < n; i++) {
          dst[off + i] = HalfFloats.f16ToFloat(b.get(from + i));
        }
      }
      case BF16 -> {
        ShortBuffer b = src.asShortBuffer();
        for (int i = 0; i < n; i++) {
          dst[off + i] = HalfFloats.bf16ToFloat(b.get(from + i));
        }
      }
      case I64 -> {
        LongBuffer b = src.asLongBuffer();
        for (int i = 0; i < n; i++) {
          dst[off + i] = b.get(from + i);
        }
      }
      case I32 -> {
        IntBuffer b = src.asIntBuffer();
        for (int i = 0; i < n; i++) {
          dst[off + i] = b.get(from + i);
        }
      }
      case I16 -> {
        ShortBuffer b = src.asShortBuffer();
        for (int i = 0; i < n; i++) {
          dst[off + i] = b.get(from + i);
        }
      }
      case I8 -> {
        for (int i = 0; i < n; i++) {
          dst[off + i] = src.get(from + i);
        }
      }
      case U8 -> {
        for (int i = 0; i < n; i++) {
          dst[off + i] = src.get(from + i) & 0xff;
        }
      }
      case BOOL -> {
        for (int i = 0; i < n; i++) {
          dst[off + i] = src.get(from + i) != 0 ? 1f : 0f;
        }
      }
      default -> throw new AssertionError(d);
    }
  }

  /** Doubles: exact for every dtype except I64 beyond 2^53. */
  static void doubles(Dtype d, ByteBuffer src, int from, double[] dst, int off, int n) {
    switch (d) {
      case F64 -> src.asDoubleBuffer().get(from, dst, off, n);
      case I64 -> {
        LongBuffer b = src.asLongBuffer();
        for (int i = 0; i < n; i++) {
          dst[off + i] = b.get(from + i);
        }
      }
      case I32 -> {
        IntBuffer b = src.asIntBuffer();
        for (int i = 0; i < n; i++) {
          dst[off + i] = b.get(from + i);
        }
      }
      case F32 -> {
        FloatBuffer b = src.asFloatBuffer();
        for (int i = 0; i < n; i++) {
          dst[off + i] = b.get(from + i);
        }
      }
      default -> {
        // Narrow types: go through float, which holds all of them exactly.
        float[] tmp = new float[Math.min(n, 4096)];
        for (int done = 0; done < n; done += tmp.length) {
          int k = Math.min(tmp.length, n - done);
          floats(d, src, from + done, tmp, 0, k);
          for (int i = 0; i < k; i++) {
            dst[off + done + i] = tmp[i];
          }
        }
      }
    }
  }

  /** Longs, for integer dtypes and BOOL (0 or 1) only; the caller checks the dtype. */
  static void longs(Dtype d, ByteBuffer src, int from, long[] dst, int off, int n) {
    switch (d) {
      case I64 -> src.asLongBuffer().get(from, dst, off, n);
      case I32 -> {
        IntBuffer b = src.asIntBuffer();
        for (int i = 0; i < n; i++) {
          dst[off + i] = b.get(from + i);
        }
      }
      case I16 -> {
        ShortBuffer b = src.asShortBuffer();
        for (int i = 0; i < n; i++) {
          dst[off + i] = b.get(from + i);
        }
      }
      case I8 -> {
        for (int i = 0; i < n; i++) {
          dst[off + i] = src.get(from + i);
        }
      }
      case U8 -> {
        for (int i = 0; i < n; i++) {
          dst[off + i] = src.get(from + i) & 0xff;
        }
      }
      case BOOL -> {
        for (int i = 0; i < n; i++) {
          dst[off + i] = src.get(from + i) != 0 ? 1 : 0;
        }
      }
      default -> throw new IllegalArgumentException("not an integer dtype: " + d);
    }
  }
}
