package org.mmmamba.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * TorchBicubic resampling with the semantics of torch {@code F.interpolate(mode='bicubic',
 * align_corners=False)}: Keys' cubic kernel with a = -0.75, source coordinate {@code (dst + 0.5) *
 * in / out - 0.5} (not clamped), the four taps floor(src) - 1 .. floor(src) + 2 clamped to the
 * border.
 *
 * <p>Resampling is linear in the input, so it is done as precomputed interpolation matrices (built
 * on the host) and matmuls: gradients flow to the resampled table (HoVLE's position embeddings).
 */
public final class TorchBicubic {
  /** The cubic-convolution coefficient torch uses. */
  public static final double A = -0.75;

  private TorchBicubic() {}

  /**
   * The (out, in) matrix M with y = M x resampling a length-{@code in} signal to length {@code
   * out}.
   */
  public static double[][] matrix(int in, int out) {
    double[][] m = new double[out][in];
    double scale = (double) in / out;
    for (int o = 0; o < out; o++) {
      double src = scale * (o + 0.5) - 0.5;
      int i0 = (int) Math.floor(src);
      double t = src - i0;
      double[] w = {cubic2(t + 1), cubic1(t), cubic1(1 - t), cubic2(2 - t)};
      for (int k = 0; k < 4; k++) {
        int idx = Math.min(Math.max(i0 - 1 + k, 0), in - 1);
        m[o][idx] += w[k];
      }
    }
    return m;
  }

  /** Kernel for |x| &lt;= 1. */
  private static double cubic1(double x) {
    return ((A + 2) * x - (A + 3)) * x * x + 1;
  }

  /** Kernel for 1 &lt; |x| &lt; 2. */
  private static double cubic2(double x) {
    return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  }

  /**
   * Resamples a square grid of vectors: {@code grid} (gIn * gIn, D), rows in row-major (row, col)
   * order, to (gOut * gOut, D), separably (rows, then columns). The matrices are created in {@code
   * m}, first operands of the matmuls, so the results land in {@code m}.
   */
  public static NDArray resize2d(NDManager m, NDArray grid, int gIn, int gOut) {
    long d = grid.getShape().get(1);
    DataType dt = grid.getDataType();
    NDArray my = create(m, matrix(gIn, gOut), dt); // (gOut, gIn)
    NDArray rows = my.matMul(grid.reshape(gIn, gIn * d)).reshape(gOut, gIn, d); // (i, b, D)
    // (gOut, gIn) @ (i, gIn, D) broadcasts over i: [i] = Mx @ rows[i] -> (i, j, D)
    return my.matMul(rows).reshape((long) gOut * gOut, d);
  }

  private static NDArray create(NDManager m, double[][] a, DataType dt) {
    int r = a.length;
    int c = a[0].length;
    double[] flat = new double[r * c];
    for (int i = 0; i < r; i++) {
      System.arraycopy(a[i], 0, flat, i * c, c);
    }
    return m.create(flat, new Shape(r, c)).toType(dt, false);
  }
}
