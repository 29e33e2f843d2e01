package org.mmmamba.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;

/**
 * Softplus, the native op ({@link Activations#softplus}) against its stable composite twin ({@link
 * Activations#softplusComposite}) and Java's log1p/exp: values and gradients (sigmoid) over a range
 * that overflows a naive log(1 + exp(x)), in float32 and float64.
 */
class ActivationsTest {
  static {
    Offline.init();
  }

  static final double[] XS = {
    -800, -100, -30, -20.5, -1, -1e-3, 0, 1e-3, 0.5, 1, 19.9, 20, 20.1, 30, 100, 800
  };

  static double softplus(double x) {
    return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  }

  static double sigmoid(double x) {
    return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
  }

  @Test
  void nativeSoftplusEqualsTheStableFormulaInValueAndGradient() {
    for (DataType dt : new DataType[] {DataType.FLOAT64, DataType.FLOAT32}) {
      double tol = dt == DataType.FLOAT64 ? 1e-12 : 2e-6;
      double[][] fast = run(dt, Activations::softplus);
      double[][] twin = run(dt, Activations::softplusComposite);
      for (int i = 0; i < XS.length; i++) {
        double x = XS[i];
        double want = softplus(x);
        // torch returns x itself above its threshold (20): log1p(exp(-x)) < 2.1e-9 there
        assertEquals(
            want, fast[0][i], tol * Math.max(1, Math.abs(want)) + 2.1e-9, dt + " value at " + x);
        assertEquals(
            want, twin[0][i], tol * Math.max(1, Math.abs(want)), dt + " twin value at " + x);
        assertEquals(sigmoid(x), fast[1][i], tol + 2.1e-9, dt + " gradient at " + x);
        assertEquals(sigmoid(x), twin[1][i], tol, dt + " twin gradient at " + x);
      }
    }
  }

  private static double[][] run(DataType dt, UnaryOperator<NDArray> f) {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.create(XS).toType(dt, false);
      x.setRequiresGradient(true);
      double[] y;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray out = f.apply(x);
        y = out.toType(DataType.FLOAT64, false).toDoubleArray();
        gc.backward(out.sum());
      }
      return new double[][] {y, x.getGradient().toType(DataType.FLOAT64, false).toDoubleArray()};
    }
  }
}
