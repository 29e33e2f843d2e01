package org.mmmamba.core.ssd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * Shape, dtype and device checks for the SSD inputs (glossary in {@link org.mmmamba.core.ssd}).
 *
 * <p>Every failure is an {@link IllegalArgumentException} whose message names the tensor, the
 * expected shape (with its letters) and the actual shape, e.g. {@code "SSD input dt: expected shape
 * (B, L, H) = (2, 7, 3), got (2, 7)"}.
 */
public final class SsdShapes {

  /** The sizes read from the inputs. {@code length} is 1 for a single step. */
  public record Dims(long batch, long length, long heads, long headDim, long stateDim) {}

  private SsdShapes() {}

  /**
   * Checks the inputs of a full-sequence scan: x (B,L,H,P), dt (B,L,H), A (H), B (B,L,H,N), C
   * (B,L,H,N) and the optional initial state (B,H,P,N).
   *
   * @param initialState may be null
   * @return the sizes
   * @throws IllegalArgumentException naming the first tensor whose shape, dtype or device is wrong
   */
  public static Dims checkScan(
      NDArray x, NDArray dt, NDArray A, NDArray B, NDArray C, NDArray initialState) {
    requireRank("x", x, "(B, L, H, P)", 4);
    requireRank("B", B, "(B, L, H, N)", 4);
    long[] xs = x.getShape().getShape();
    long n = B.getShape().get(3);
    Dims d = new Dims(xs[0], xs[1], xs[2], xs[3], n);
    requirePositive("x", x, d);
    expect("dt", dt, "(B, L, H)", d.batch, d.length, d.heads);
    expect("A", A, "(H)", d.heads);
    expect("B", B, "(B, L, H, N)", d.batch, d.length, d.heads, n);
    expect("C", C, "(B, L, H, N)", d.batch, d.length, d.heads, n);
    if (initialState != null) {
      expect("initialState", initialState, "(B, H, P, N)", d.batch, d.heads, d.headDim, n);
    }
    sameKind(x, "dt", dt, "A", A, "B", B, "C", C, "initialState", initialState);
    return d;
  }

  /**
   * Checks the inputs of one step: state (B,H,P,N), x (B,H,P), dt (B,H), A (H), B (B,H,N), C
   * (B,H,N).
   *
   * @return the sizes, with {@code length} = 1
   * @throws IllegalArgumentException naming the first tensor whose shape, dtype or device is wrong
   */
  public static Dims checkStep(
      NDArray state, NDArray x, NDArray dt, NDArray A, NDArray B, NDArray C) {
    requireRank("x_t", x, "(B, H, P)", 3);
    requireRank("B_t", B, "(B, H, N)", 3);
    long[] xs = x.getShape().getShape();
    long n = B.getShape().get(2);
    Dims d = new Dims(xs[0], 1, xs[1], xs[2], n);
    requirePositive("x_t", x, d);
    expect("state", state, "(B, H, P, N)", d.batch, d.heads, d.headDim, n);
    expect("dt_t", dt, "(B, H)", d.batch, d.heads);
    expect("A", A, "(H)", d.heads);
    expect("B_t", B, "(B, H, N)", d.batch, d.heads, n);
    expect("C_t", C, "(B, H, N)", d.batch, d.heads, n);
    sameKind(x, "state", state, "dt_t", dt, "A", A, "B_t", B, "C_t", C);
    return d;
  }

  /** The shapes of {@link Ssd#stepInPlaceColumns}: the step's operands as columns and rows. */
  public static Dims checkColumnStep(
      NDArray state, NDArray x, NDArray dt, NDArray A, NDArray B, NDArray C) {
    requireRank("x_t", x, "(B, H, P, 1)", 4);
    requireRank("B_t", B, "(B, H, 1, N)", 4);
    long[] xs = x.getShape().getShape();
    long n = B.getShape().get(3);
    Dims d = new Dims(xs[0], 1, xs[1], xs[2], n);
    requirePositive("x_t", x, d);
    expect("x_t", x, "(B, H, P, 1)", d.batch, d.heads, d.headDim, 1);
    expect("state", state, "(B, H, P, N)", d.batch, d.heads, d.headDim, n);
    expect("dt_t", dt, "(B, H, 1, 1)", d.batch, d.heads, 1, 1);
    expect("A", A, "(H, 1, 1)", d.heads, 1, 1);
    expect("B_t", B, "(B, H, 1, N)", d.batch, d.heads, 1, n);
    expect("C_t", C, "(B, H, N, 1)", d.batch, d.heads, n, 1);
    sameKind(x, "state", state, "dt_t", dt, "A", A, "B_t", B, "C_t", C);
    return d;
  }

  /**
   * Throws unless {@code array} is non-null and has exactly the {@code expected} shape.
   *
   * @param name the tensor's name for the message
   * @param letters the expected shape in glossary letters, e.g. {@code "(B, L, H)"}
   */
  public static void expect(String name, NDArray array, String letters, long... expected) {
    requireNonNull(name, array);
    long[] actual = array.getShape().getShape();
    if (!Arrays.equals(actual, expected)) {
      throw new IllegalArgumentException(
          "SSD input "
              + name
              + ": expected shape "
              + letters
              + " = "
              + new Shape(expected)
              + ", got "
              + array.getShape());
    }
  }

  private static void requireRank(String name, NDArray array, String letters, int rank) {
    requireNonNull(name, array);
    if (array.getShape().dimension() != rank) {
      throw new IllegalArgumentException(
          "SSD input "
              + name
              + ": expected rank "
              + rank
              + " "
              + letters
              + ", got shape "
              + array.getShape());
    }
  }

  private static void requireNonNull(String name, NDArray array) {
    if (array == null) {
      throw new IllegalArgumentException("SSD input " + name + " is null");
    }
  }

  private static void requirePositive(String name, NDArray x, Dims d) {
    if (d.batch < 1 || d.length < 1 || d.heads < 1 || d.headDim < 1 || d.stateDim < 1) {
      throw new IllegalArgumentException(
          "SSD input " + name + ": every size must be at least 1, got " + d);
    }
    if (!x.getDataType().isFloating()) {
      throw new IllegalArgumentException(
          "SSD input " + name + ": expected a floating dtype, got " + x.getDataType());
    }
  }

  /** Pairs of (name, array); null arrays are skipped. */
  private static void sameKind(NDArray x, Object... namesAndArrays) {
    for (int i = 0; i < namesAndArrays.length; i += 2) {
      String name = (String) namesAndArrays[i];
      NDArray a = (NDArray) namesAndArrays[i + 1];
      if (a == null) {
        continue;
      }
      if (a.getDataType() != x.getDataType()) {
        throw new IllegalArgumentException(
            "SSD input "
                + name
                + ": expected dtype "
                + x.getDataType()
                + " (the dtype of x), got "
                + a.getDataType());
      }
      if (!a.getDevice().equals(x.getDevice())) {
        throw new IllegalArgumentException(
            "SSD input "
                + name
                + ": expected device "
                + x.getDevice()
                + " (the device of x), got "
                + a.getDevice());
      }
    }
  }
}
