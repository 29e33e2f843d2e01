package org.mmmamba.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;

/**
 * The grouped-convolution causal conv against its loop twin, its tap-sum twin (values and
 * gradients) and a hand-computed case; carrying the prefix is exact.
 */
class CausalConv1dTest {
  static {
    Offline.init();
  }

  @Test
  void handComputedKernel2() {
    try (NDManager m = NDManager.newBaseManager()) {
      // one channel, w = [w0, w1] = [2, 3], bias 1: out_t = 1 + 2 x_{t-1} + 3 x_t
      NDArray x = m.create(new double[] {1, 10, 100}, new Shape(1, 3, 1));
      NDArray w = m.create(new double[] {2, 3}, new Shape(1, 2));
      NDArray bias = m.create(new double[] {1});
      double[] out = CausalConv1d.apply(x, w, bias, null).toDoubleArray();
      assertEquals(4.0, out[0]);
      assertEquals(33.0, out[1]);
      assertEquals(321.0, out[2]);
    }
  }

  @Test
  void matchesLoopAndSplitsExactly() {
    try (NDManager m = NDManager.newBaseManager()) {
      for (int k = 1; k <= 4; k++) {
        NDArray x = m.randomNormal(new Shape(2, 9, 5)).toType(DataType.FLOAT64, false);
        NDArray w = m.randomNormal(new Shape(5, k)).toType(DataType.FLOAT64, false);
        NDArray bias = m.randomNormal(new Shape(5)).toType(DataType.FLOAT64, false);
        NDArray full = CausalConv1d.apply(x, w, bias, null);
        assertTrue(
            full.sub(CausalConv1d.reference(x, w, bias, null)).abs().max().getDouble() < 1e-12);
        // first 4 steps, then the rest with the carried prefix
        NDArray a = x.get(":, :4, :");
        NDArray rest = x.get(":, 4:, :");
        NDArray prefix = k > 1 ? CausalConv1d.nextPrefix(a, null, k) : null;
        NDArray joined =
            CausalConv1d.apply(a, w, bias, null)
                .concat(CausalConv1d.apply(rest, w, bias, prefix), 1);
        assertTrue(joined.sub(full).abs().max().getDouble() < 1e-12, "k=" + k);
      }
    }
  }

  @Test
  void groupedConvolutionMatchesTheTapsInValueAndGradient() {
    try (NDManager m = NDManager.newBaseManager()) {
      for (int k : new int[] {2, 4}) {
        for (boolean withBias : new boolean[] {true, false}) {
          NDArray x = m.randomNormal(new Shape(2, 11, 6)).toType(DataType.FLOAT64, false);
          NDArray w = m.randomNormal(new Shape(6, k)).toType(DataType.FLOAT64, false);
          NDArray bias =
              withBias ? m.randomNormal(new Shape(6)).toType(DataType.FLOAT64, false) : null;
          NDArray prefix = m.randomNormal(new Shape(2, k - 1, 6)).toType(DataType.FLOAT64, false);
          NDArray up = m.randomNormal(new Shape(2, 11, 6)).toType(DataType.FLOAT64, false);
          double[][] fast = valueAndGrads(x, w, bias, prefix, up, true);
          double[][] slow = valueAndGrads(x, w, bias, prefix, up, false);
          for (int i = 0; i < fast.length; i++) {
            assertEquals(slow[i].length, fast[i].length);
            for (int j = 0; j < fast[i].length; j++) {
              assertEquals(slow[i][j], fast[i][j], 1e-12, "k=" + k + " part " + i + " at " + j);
            }
          }
        }
      }
    }
  }

  /** Output, then d/dx, d/dw (and d/dbias) of sum(out * up), through apply or the taps. */
  private static double[][] valueAndGrads(
      NDArray x0, NDArray w0, NDArray b0, NDArray prefix, NDArray up, boolean fast) {
    try (ai.djl.training.GradientCollector gc =
        ai.djl.engine.Engine.getInstance().newGradientCollector()) {
      NDArray x = x0.duplicate();
      NDArray w = w0.duplicate();
      NDArray b = b0 == null ? null : b0.duplicate();
      x.setRequiresGradient(true);
      w.setRequiresGradient(true);
      if (b != null) {
        b.setRequiresGradient(true);
      }
      NDArray out = fast ? CausalConv1d.apply(x, w, b, prefix) : CausalConv1d.taps(x, w, b, prefix);
      gc.backward(out.mul(up).sum());
      double[] value = out.toDoubleArray();
      double[] gx = x.getGradient().toDoubleArray();
      double[] gw = w.getGradient().toDoubleArray();
      double[] gb = b == null ? new double[0] : b.getGradient().toDoubleArray();
      return new double[][] {value, gx, gw, gb};
    }
  }
}
