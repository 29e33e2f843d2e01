package org.mmmamba.core.ssd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;

/**
 * B = H = P = N = 1, L = 3, worked out by hand.
 *
 * <pre>
 *   A = -ln 2, dt = (1, 2, 1)  =>  decays exp(dt·A) = (1/2, 1/4, 1/2)
 *   x = (1, 2, 3), B = (1, 1, 2), C = (2, 1, 1)
 *   inputs dt·x·B = (1·1·1, 2·2·1, 1·3·2) = (1, 4, 6)
 *
 *   from S_0 = 0:
 *     S_1 = 1/2·0    + 1 = 1        y_1 = 1     · 2 = 2
 *     S_2 = 1/4·1    + 4 = 4.25     y_2 = 4.25  · 1 = 4.25
 *     S_3 = 1/2·4.25 + 6 = 8.125    y_3 = 8.125 · 1 = 8.125
 *   the same y_3 in the quadratic form: sum over s of exp(a_{s+1} + .. + a_3) (C_3·B_s) dt_s x_s
 *     = (1/8)(1)(1) + (1/2)(1)(4) + (1)(2)(3) = 0.125 + 2 + 6 = 8.125
 *
 *   from S_0 = 4:
 *     S_1 = 1/2·4    + 1 = 3        y_1 = 3     · 2 = 6
 *     S_2 = 1/4·3    + 4 = 4.75     y_2 = 4.75  · 1 = 4.75
 *     S_3 = 1/2·4.75 + 6 = 8.375    y_3 = 8.375 · 1 = 8.375
 * </pre>
 */
class SsdHandComputedTest {
  static {
    Offline.init();
  }

  private static final double TOL = 1e-12;

  @Test
  void allFormsGiveTheHandComputedNumbers() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.create(new double[] {1, 2, 3}, new Shape(1, 3, 1, 1));
      NDArray dt = m.create(new double[] {1, 2, 1}, new Shape(1, 3, 1));
      NDArray a = m.create(new double[] {-Math.log(2)}, new Shape(1));
      NDArray b = m.create(new double[] {1, 1, 2}, new Shape(1, 3, 1, 1));
      NDArray c = m.create(new double[] {2, 1, 1}, new Shape(1, 3, 1, 1));
      NDArray s0 = m.create(new double[] {4}, new Shape(1, 1, 1, 1));
      double[] yZero = {2, 4.25, 8.125};
      double[] yFour = {6, 4.75, 8.375};

      ScanResult rec = Ssd.recurrentScan(x, dt, a, b, c, null);
      assertArrayEquals(yZero, rec.y().toDoubleArray(), TOL);
      assertArrayEquals(new double[] {8.125}, rec.finalState().toDoubleArray(), TOL);
      assertArrayEquals(yZero, Ssd.quadraticForm(x, dt, a, b, c).toDoubleArray(), TOL);
      ScanResult recFour = Ssd.recurrentScan(x, dt, a, b, c, s0);
      assertArrayEquals(yFour, recFour.y().toDoubleArray(), TOL);
      assertArrayEquals(new double[] {8.375}, recFour.finalState().toDoubleArray(), TOL);

      for (int chunk = 1; chunk <= 4; chunk++) {
        ScanResult zero = Ssd.chunkedScan(x, dt, a, b, c, chunk, null);
        assertArrayEquals(yZero, zero.y().toDoubleArray(), TOL, "chunk " + chunk);
        assertArrayEquals(new double[] {8.125}, zero.finalState().toDoubleArray(), TOL);
        ScanResult four = Ssd.chunkedScan(x, dt, a, b, c, chunk, s0);
        assertArrayEquals(yFour, four.y().toDoubleArray(), TOL, "chunk " + chunk);
        assertArrayEquals(new double[] {8.375}, four.finalState().toDoubleArray(), TOL);
      }
    }
  }
}
