package org.mmmamba.core.io;

import org.mmmamba.core.BadInputException;

/**
 * Element types of the safetensors format that this library reads and writes.
 *
 * <p>The constant names are exactly the strings used in a safetensors header ({@code "BF16"},
 * {@code "I64"}, ...), so {@link #name()} is the on-disk spelling. FP8 and unsigned types wider
 * than a byte are not supported: no checkpoint we load uses them, and rejecting them loudly is
 * better than guessing.
 */
public enum Dtype {
  /** IEEE double. */
  F64(8, true),
  /** IEEE single. */
  F32(4, true),
  /** IEEE half (binary16). */
  F16(2, true),
  /** bfloat16: the top 16 bits of an F32. */
  BF16(2, true),
  /** Signed 64-bit integer. */
  I64(8, false),
  /** Signed 32-bit integer. */
  I32(4, false),
  /** Signed 16-bit integer. */
  I16(2, false),
  /** Signed byte. */
  I8(1, false),
  /** Unsigned byte. */
  U8(1, false),
  /** One byte per element, 0 is false and anything else true. */
  BOOL(1, false);

  private final int bytes;
  private final boolean isFloat;

  Dtype(int bytes, boolean isFloat) {
    this.bytes = bytes;
    this.isFloat = isFloat;
  }

  /** Size of one element in bytes. */
  public int bytes() {
    return bytes;
  }

  /** Whether this is a floating-point type (F64, F32, F16, BF16). */
  public boolean isFloat() {
    return isFloat;
  }

  /**
   * Parses a header dtype string such as {@code "F32"}.
   *
   * @param s the dtype as written in the header (case-sensitive, as in the format)
   * @param fileForErrors the file being read, only used in the error message
   * @throws BadInputException if {@code s} is not a supported dtype
   */
  public static Dtype parse(String s, String fileForErrors) {
    if (s != null) {
      for (Dtype d : values()) {
        if (d.name().equals(s)) {
          return d;
        }
      }
    }
    throw new BadInputException(
        fileForErrors
            + ": unknown dtype '"
            + s
            + "' (supported: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL)");
  }
}
