package org.mmmamba.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** F16/BF16 conversions, checked over every 16-bit pattern against textbook formulas. */
class HalfFloatsTest {

  /** IEEE binary16 value from its fields, straight from the definition, in double arithmetic. */
  private static double f16Reference(int bits) {
    int sign = (bits >> 15) & 1;
    int exp = (bits >> 10) & 0x1f;
    int mant = bits & 0x3ff;
    double s = sign == 0 ? 1 : -1;
    if (exp == 31) {
      return mant == 0 ? s * Double.POSITIVE_INFINITY : Double.NaN;
    }
    if (exp == 0) {
      return s * Math.pow(2, -14) * (mant / 1024.0); // subnormal (and signed zero)
    }
    return s * Math.pow(2, exp - 15) * (1 + mant / 1024.0);
  }

  @Test
  void f16ToFloatMatchesTheDefinitionForAll65536Patterns() {
    for (int bits = 0; bits < 0x10000; bits++) {
      float got = HalfFloats.f16ToFloat((short) bits);
      double want = f16Reference(bits);
      if (Double.isNaN(want)) {
        assertTrue(Float.isNaN(got), "NaN expected for " + Integer.toHexString(bits));
        // The payload survives: the mantissa bits move to the top of the float mantissa.
        int f = Float.floatToRawIntBits(got);
        assertEquals(bits & 0x3ff, (f >>> 13) & 0x3ff);
        assertEquals(bits >>> 15, f >>> 31);
      } else {
        // Comparing bits also checks the sign of zero.
        assertEquals(
            Double.doubleToRawLongBits(want),
            Double.doubleToRawLongBits(got),
            "pattern 0x" + Integer.toHexString(bits));
      }
    }
  }

  @Test
  void floatToF16InvertsF16ToFloatForAllNonNaNPatterns() {
    for (int bits = 0; bits < 0x10000; bits++) {
      float f = HalfFloats.f16ToFloat((short) bits);
      short back = HalfFloats.floatToF16(f);
      if (Float.isNaN(f)) {
        assertTrue(Float.isNaN(HalfFloats.f16ToFloat(back)));
      } else {
        assertEquals(bits, back & 0xffff, "pattern 0x" + Integer.toHexString(bits));
      }
    }
  }

  @Test
  void bf16ToFloatIsTheTopHalfOfAFloatForAll65536Patterns() {
    for (int bits = 0; bits < 0x10000; bits++) {
      float got = HalfFloats.bf16ToFloat((short) bits);
      assertEquals(bits << 16, Float.floatToRawIntBits(got));
      short back = HalfFloats.floatToBf16(got);
      if (Float.isNaN(got)) {
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(back)));
      } else {
        assertEquals(bits, back & 0xffff);
      }
    }
  }

  /**
   * Exhaustive rounding check: for every pair of adjacent finite halves, the exact midpoint (a
   * float, since it needs only 12 significant bits) goes to the even one, and the floats just
   * beside it go to the nearer one.
   */
  @Test
  void floatToF16RoundsEveryMidpointToEvenAndNeighboursToNearest() {
    for (int sign = 0; sign <= 0x8000; sign += 0x8000) {
      for (int h = 0; h < 0x7bff; h++) { // up to the largest finite half, 0x7bff
        float lo = HalfFloats.f16ToFloat((short) (sign | h));
        float hi = HalfFloats.f16ToFloat((short) (sign | (h + 1)));
        float mid = (lo + hi) / 2;
        assertEquals((double) lo + ((double) hi - lo) / 2, mid, 0.0, "midpoint must be exact");
        int even = (h & 1) == 0 ? h : h + 1;
        assertEquals(sign | even, HalfFloats.floatToF16(mid) & 0xffff, "tie at " + mid);
        assertEquals(sign | h, HalfFloats.floatToF16(towards(mid, lo)) & 0xffff);
        assertEquals(sign | (h + 1), HalfFloats.floatToF16(towards(mid, hi)) & 0xffff);
      }
    }
  }

  @Test
  void floatToBf16RoundsEveryMidpointToEvenAndNeighboursToNearest() {
    for (int sign = 0; sign <= 0x8000; sign += 0x8000) {
      for (int b = 0; b < 0x7f7f; b++) { // up to the largest finite bfloat16, 0x7f7f
        float lo = HalfFloats.bf16ToFloat((short) (sign | b));
        float hi = HalfFloats.bf16ToFloat((short) (sign | (b + 1)));
        // Midpoint by bits: adjacent bfloat16 values differ by 2^16 in float bits.
        float mid = Float.intBitsToFloat(Float.floatToRawIntBits(lo) + 0x8000);
        int even = (b & 1) == 0 ? b : b + 1;
        assertEquals(sign | even, HalfFloats.floatToBf16(mid) & 0xffff, "tie at " + mid);
        assertEquals(sign | b, HalfFloats.floatToBf16(towards(mid, lo)) & 0xffff);
        assertEquals(sign | (b + 1), HalfFloats.floatToBf16(towards(mid, hi)) & 0xffff);
      }
    }
  }

  private static float towards(float from, float to) {
    return Math.nextAfter(from, (double) to);
  }

  @Test
  void f16EdgeCases() {
    assertEquals(0x7c00, HalfFloats.floatToF16(65520f) & 0xffff); // halfway to 2^16 rounds to Inf
    assertEquals(0x7bff, HalfFloats.floatToF16(65519.99f) & 0xffff);
    assertEquals(0xfc00, HalfFloats.floatToF16(Float.NEGATIVE_INFINITY) & 0xffff);
    assertEquals(0x0001, HalfFloats.floatToF16(0x1p-24f) & 0xffff);
    assertEquals(0x0000, HalfFloats.floatToF16(0x1p-25f) & 0xffff); // tie to even (zero)
    assertEquals(0x0001, HalfFloats.floatToF16(Math.nextUp(0x1p-25f)) & 0xffff);
    assertEquals(0x8000, HalfFloats.floatToF16(-0f) & 0xffff);
    assertEquals(0x0400, HalfFloats.floatToF16(0x1p-14f) & 0xffff); // smallest normal
    assertTrue(Float.isNaN(HalfFloats.f16ToFloat(HalfFloats.floatToF16(Float.NaN))));
    // A NaN whose payload lives only in low float bits must not collapse to Inf.
    float lowPayloadNaN = Float.intBitsToFloat(0x7f800001);
    assertTrue(Float.isNaN(HalfFloats.f16ToFloat(HalfFloats.floatToF16(lowPayloadNaN))));
    assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(lowPayloadNaN))));
  }

  /**
   * Round to nearest, ties to even: no other F16 value is closer, and a tie picks an even mantissa.
   */
  @Property(tries = 3000)
  void floatToF16RoundsToNearestEven(
      // Magnitudes 2^-27 .. 2^17 (uniform over float bit patterns): covers F16 underflow,
      // subnormals, normals and overflow, where random floats would nearly all overflow.
      @ForAll @IntRange(min = 0x32000000, max = 0x48000000) int magnitudeBits,
      @ForAll boolean negative) {
    float f = Float.intBitsToFloat(magnitudeBits | (negative ? 0x80000000 : 0));
    short h = HalfFloats.floatToF16(f);
    double got = HalfFloats.f16ToFloat(h);
    if (Math.abs(f) >= 65520f) {
      assertEquals(Math.copySign(Double.POSITIVE_INFINITY, f), got);
      return;
    }
    double err = Math.abs(got - f);
    for (int delta : new int[] {-1, 1}) {
      int other = (h & 0xffff) + delta;
      if (other < 0 || other > 0xffff || ((other >> 10) & 0x1f) == 31) {
        continue;
      }
      double o = HalfFloats.f16ToFloat((short) other);
      double otherErr = Math.abs(o - f);
      assertTrue(err <= otherErr, () -> f + " -> " + got + " but " + o + " is closer");
      if (err == otherErr && Math.signum(o) == Math.signum(got)) {
        assertEquals(0, h & 1, () -> "tie for " + f + " must round to even");
      }
    }
  }

  @Property(tries = 3000)
  void floatToBf16RoundsToNearestEven(@ForAll int bits) {
    float f = Float.intBitsToFloat(bits);
    if (Float.isNaN(f) || Float.isInfinite(f)) {
      return;
    }
    short b = HalfFloats.floatToBf16(f);
    double got = HalfFloats.bf16ToFloat(b);
    if (Double.isInfinite(got)) {
      // Only values within half an ulp of the largest BF16 may overflow.
      assertTrue(Math.abs(f) >= 0x1.FFp127f);
      return;
    }
    double err = Math.abs(got - f);
    for (int delta : new int[] {-1, 1}) {
      int other = (b & 0xffff) + delta;
      if (other < 0 || other > 0xffff || ((other >> 7) & 0xff) == 0xff) {
        continue;
      }
      double o = HalfFloats.bf16ToFloat((short) other);
      double otherErr = Math.abs(o - f);
      assertTrue(err <= otherErr, () -> f + " -> " + got + " but " + o + " is closer");
      if (err == otherErr && Math.signum(o) == Math.signum(got)) {
        assertEquals(0, b & 1, () -> "tie for " + f + " must round to even");
      }
    }
  }
}
