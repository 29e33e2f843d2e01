package org.mmmamba.core.ssd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.mmmamba.core.Offline;

/**
 * Shared test inputs for the SSD tests: reproducible random tensors from a seed, and comparisons.
 */
final class SsdFixtures {
  static {
    Offline.init();
  }

  private SsdFixtures() {}

  /** One set of scan inputs; {@code s0} may be null. Shapes follow {@link Ssd}. */
  record Inputs(NDArray x, NDArray dt, NDArray A, NDArray B, NDArray C, NDArray s0) {
    long length() {
      return x.getShape().get(1);
    }
  }

  /** Host-side values of one set of inputs (for finite differences). */
  record Values(
      long b, long len, long h, long p, long n, double[][] data, boolean withInitialState) {
    static final String[] NAMES = {"x", "dt", "A", "B", "C", "initialState"};

    Shape shape(int i) {
      return switch (i) {
        case 0 -> new Shape(b, len, h, p);
        case 1 -> new Shape(b, len, h);
        case 2 -> new Shape(h);
        case 3, 4 -> new Shape(b, len, h, n);
        case 5 -> new Shape(b, h, p, n);
        default -> throw new IllegalArgumentException("input " + i);
      };
    }

    int count() {
      return withInitialState ? 6 : 5;
    }

    Inputs create(NDManager m) {
      NDArray[] a = new NDArray[6];
      for (int i = 0; i < count(); i++) {
        a[i] = m.create(data[i], shape(i));
      }
      return new Inputs(a[0], a[1], a[2], a[3], a[4], a[5]);
    }
  }

  /**
   * Random float64 values: x, B, C and the initial state in (-1, 1), dt in (0.01, 1), A in (-3,
   * -0.1).
   */
  static Values randomValues(
      long seed, long b, long len, long h, long p, long n, boolean withInitialState) {
    Random r = new Random(seed);
    double[][] d = new double[6][];
    d[0] = uniform(r, b * len * h * p, -1, 1);
    d[1] = uniform(r, b * len * h, 0.01, 1);
    d[2] = uniform(r, h, -3, -0.1);
    d[3] = uniform(r, b * len * h * n, -1, 1);
    d[4] = uniform(r, b * len * h * n, -1, 1);
    d[5] = withInitialState ? uniform(r, b * h * p * n, -1, 1) : null;
    return new Values(b, len, h, p, n, d, withInitialState);
  }

  static Inputs random(
      NDManager m, long seed, long b, long len, long h, long p, long n, boolean withInitialState) {
    return randomValues(seed, b, len, h, p, n, withInitialState).create(m);
  }

  static double[] uniform(Random r, long count, double lo, double hi) {
    double[] v = new double[Math.toIntExact(count)];
    for (int i = 0; i < v.length; i++) {
      v[i] = lo + (hi - lo) * r.nextDouble();
    }
    return v;
  }

  static NDArray random(NDManager m, Random r, Shape shape, DataType type) {
    return m.create(uniform(r, shape.size(), -1, 1), shape).toType(type, false);
  }

  /** Max |a - b|; the shapes must match exactly. */
  static double maxAbsDiff(NDArray a, NDArray b) {
    if (!a.getShape().equals(b.getShape())) {
      throw new AssertionError("shape " + a.getShape() + " != " + b.getShape());
    }
    try (NDArray d = a.sub(b);
        NDArray abs = d.abs();
        NDArray max = abs.max()) {
      return max.toType(DataType.FLOAT64, false).getDouble();
    }
  }
}
