package org.mmmamba.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.mmmamba.core.config.RopeScaling;

/**
 * Rotary position embedding, rotate-half (non-interleaved) convention as in HF Llama and InternLM2.
 *
 * <p>For head dim P, inv_freq_i = base^(-2i/P), i &lt; P/2; angle(p, i) = p * inv_freq_i; {@code
 * rope(x) = x * cos + rotate_half(x) * sin}, with cos/sin of [angle, angle] concatenated. With
 * dynamic NTK scaling the base depends on the total sequence length seen so far, as in HF.
 */
public final class Rope {
  private final double theta;
  private final RopeScaling scaling;
  private final int dim;

  /**
   * @param dim rotary dimensions (the head dim P, even)
   */
  public Rope(double theta, RopeScaling scaling, int dim) {
    this.theta = theta;
    this.scaling = scaling;
    this.dim = dim;
  }

  /**
   * cos and sin tables (L, P) for positions [start, start + len), when the sequence is {@code
   * totalLen} long: rows of the device's cached table ({@link DeviceConstants#ropeTables}), or,
   * when dynamic NTK scaling makes the base depend on {@code totalLen}, computed for these rows
   * only ({@link #compute}, the slow twin).
   *
   * @return NDList(cos, sin), attached to {@code m}, on its device, with dtype {@code dt}
   */
  public NDList tables(NDManager m, DataType dt, int start, int len, int totalLen) {
    double base = scaling.base(theta, totalLen, dim);
    double div = scaling.positionDivisor();
    if (base != scaling.base(theta, 0, dim)) {
      return compute(m, dt, base, div, dim, start, len);
    }
    return DeviceConstants.ropeTables(m, dt, base, div, dim, start, len);
  }

  /**
   * The tables computed on the host in float64, rows [start, start + len), cast to {@code dt}:
   * inv_freq_i = base^(-2i/P), angle = (position / divisor) * inv_freq_i.
   *
   * @return NDList(cos, sin) (len, P), created in {@code m}
   */
  public static NDList compute(
      NDManager m, DataType dt, double base, double div, int dim, int start, int len) {
    int half = dim / 2;
    double[] invFreq = new double[half];
    for (int i = 0; i < half; i++) {
      invFreq[i] = 1.0 / Math.pow(base, (2.0 * i) / dim);
    }
    double[] cos = new double[len * dim];
    double[] sin = new double[len * dim];
    for (int t = 0; t < len; t++) {
      double p = (start + t) / div;
      for (int i = 0; i < half; i++) {
        double a = p * invFreq[i];
        double c = Math.cos(a);
        double s = Math.sin(a);
        int o = t * dim;
        cos[o + i] = c;
        cos[o + i + half] = c;
        sin[o + i] = s;
        sin[o + i + half] = s;
      }
    }
    Shape shape = new Shape(len, dim);
    // create() wraps a Java buffer (freed by the GC): the results are torch-owned copies (toType
    // hands back the same array for float64, so duplicate() makes that copy).
    try (NDArray c64 = m.create(cos, shape);
        NDArray s64 = m.create(sin, shape)) {
      return new NDList(torchOwned(c64, dt), torchOwned(s64, dt));
    }
  }

  private static NDArray torchOwned(NDArray a64, DataType dt) {
    return dt == DataType.FLOAT64 ? a64.duplicate() : a64.toType(dt, false);
  }

  /**
   * Applies the rotation.
   *
   * @param x (B, heads, L, P)
   * @param cos (L, P)
   * @param sin (L, P)
   */
  public static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
    long p = x.getShape().get(3);
    NDArray x1 = x.get(":, :, :, :{}", p / 2);
    NDArray x2 = x.get(":, :, :, {}:", p / 2);
    NDArray rotated = x2.neg().concat(x1, 3);
    return x.mul(cos).add(rotated.mul(sin));
  }
}
