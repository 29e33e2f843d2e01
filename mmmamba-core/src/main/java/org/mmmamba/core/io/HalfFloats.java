package org.mmmamba.core.io;

/**
 * Bit-level conversions between {@code float} and the two 16-bit float formats (IEEE binary16 "F16"
 * and bfloat16 "BF16").
 *
 * <p>Written by hand because {@code Float.float16ToFloat} only exists from Java 20 and DJL's BF16
 * support aborts the JVM. Narrowing rounds to nearest, ties to even, as PyTorch does.
 */
final class HalfFloats {
  private HalfFloats() {}

  /** Widens binary16 bits to float; exact for every input, NaN payloads kept. */
  static float f16ToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      // Inf (mant == 0) or NaN: max float exponent, payload shifted into the top mantissa bits.
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      if (mant == 0) {
        return Float.intBitsToFloat(sign); // signed zero
      }
      // Subnormal half: mant * 2^-24 is exact in float (it is a normal float).
      float v = mant * 0x1p-24f;
      return sign == 0 ? v : -v;
    }
    // Normal: rebias exponent from 15 to 127.
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  /**
   * Narrows float to binary16 bits, rounding to nearest even; overflow gives infinity, NaN stays
   * NaN.
   */
  static short floatToF16(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exp = (bits >>> 23) & 0xff;
    int mant = bits & 0x7fffff;
    if (exp == 0xff) {
      if (mant == 0) {
        return (short) (sign | 0x7c00);
      }
      // Keep the top payload bits, and force a quiet bit so the payload can never become Inf.
      return (short) (sign | 0x7c00 | 0x200 | (mant >>> 13));
    }
    int e = exp - 127 + 15; // rebiased exponent of the result
    if (e >= 0x1f) {
      return (short) (sign | 0x7c00); // too large: infinity
    }
    if (e <= 0) {
      // Result is subnormal or zero. Shift the full significand (with implicit 1) right.
      if (e < -10) {
        return (short) sign; // below half of the smallest subnormal: rounds to zero
      }
      int sig = mant | 0x800000;
      int shift = 14 - e; // 24-bit significand down to the subnormal grid of 2^-24
      int half = sig >>> shift;
      int rem = sig & ((1 << shift) - 1);
      int mid = 1 << (shift - 1);
      if (rem > mid || (rem == mid && (half & 1) != 0)) {
        half++; // may carry into the smallest normal, which is the correct encoding
      }
      return (short) (sign | half);
    }
    int half = (e << 10) | (mant >>> 13);
    int rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1) != 0)) {
      half++; // a carry out of the mantissa bumps the exponent, up to infinity: also correct
    }
    return (short) (sign | half);
  }

  /** Widens bfloat16 bits to float: bfloat16 is the top half of a float. */
  static float bf16ToFloat(short b) {
    return Float.intBitsToFloat((b & 0xffff) << 16);
  }

  /**
   * Narrows float to bfloat16 bits, rounding to nearest even; NaN becomes a quiet NaN of the same
   * sign.
   */
  static short floatToBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
    return (short) (rounded >>> 16);
  }
}
