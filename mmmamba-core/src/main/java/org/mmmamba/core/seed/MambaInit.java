package org.mmmamba.core.seed;

import java.util.SplittableRandom;

/**
 * The initial value of every parameter of a converted Mamba-2 mixer that is not inherited, one
 * method per parameter, each with its rule for every {@link InitStrategy} (docs/method.md §2.4,
 * read in the official {@code mamba2.py} {@code init_weights}). Values are returned row-major as
 * double[] in the canonical shapes of {@code model.ParamNames}; the caller casts them to the
 * model's dtype.
 *
 * <p>Shape glossary: D hidden size, H heads, G kv heads, P head dim, K conv kernel, C = (2G + H) *
 * P conv channels ([x | B | C] = [V | K | Q]).
 *
 * <p>"PyTorch default" below means the init {@code nn.Linear} / {@code nn.Conv1d} get on
 * construction: kaiming_uniform with a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the
 * same bound for the bias.
 */
public final class MambaInit {
  private MambaInit() {}

  /** dt0 is drawn log-uniformly in [DT_MIN, DT_MAX] (Mamba-2's dt_min, dt_max). */
  public static final double DT_MIN = 1e-3;

  /** Upper end of the dt0 range. */
  public static final double DT_MAX = 1e-1;

  /** dt0 is clamped to at least this (Mamba-2's dt_init_floor). */
  public static final double DT_FLOOR = 1e-3;

  /** A ~ U(A_MIN, A_MAX) for the non-mimic strategies (A_log = log A). */
  public static final double A_MIN = 1.0;

  /** Upper end of the A range. */
  public static final double A_MAX = 16.0;

  /** Gain of W_G's xavier_uniform init: 2^-2.5 (about 0.177). */
  public static final double GATE_GAIN = Math.pow(2.0, -2.5);

  /**
   * Conv weight (C, K); tap K-1 multiplies the current token.
   *
   * <ul>
   *   <li>INHERIT_MIMIC: identity, w[:, K-1] = 1, other taps 0 (docs/method.md §2.4 "conv:
   *       weight[:,0,1] = 1"), so the conv passes [x|B|C] through and the block sees SiLU(V),
   *       SiLU(K), SiLU(Q).
   *   <li>INHERIT, SCRATCH: PyTorch default depthwise Conv1d, fan_in = K: U(-1/sqrt(K), 1/sqrt(K)).
   * </ul>
   */
  public static double[] convWeight(InitStrategy s, int channels, int k, SplittableRandom rng) {
    double[] w = new double[channels * k];
    if (s == InitStrategy.INHERIT_MIMIC) {
      for (int c = 0; c < channels; c++) {
        w[c * k + k - 1] = 1.0;
      }
      return w;
    }
    return uniform(w, 1 / Math.sqrt(k), rng);
  }

  /**
   * Conv bias (C): 0 for INHERIT_MIMIC (docs/method.md §2.4); PyTorch default U(-1/sqrt(K),
   * 1/sqrt(K)) otherwise.
   */
  public static double[] convBias(InitStrategy s, int channels, int k, SplittableRandom rng) {
    double[] b = new double[channels];
    return s == InitStrategy.INHERIT_MIMIC ? b : uniform(b, 1 / Math.sqrt(k), rng);
  }

  /**
   * W_dt (H, D), the dt projection ({@code in_proj}, W_gamma in docs/method.md): 0 for
   * INHERIT_MIMIC, so at init dt is input-independent, dt = softplus(dt_bias); PyTorch default
   * Linear U(-1/sqrt(D), 1/sqrt(D)) otherwise.
   */
  public static double[] wDt(InitStrategy s, int heads, int hidden, SplittableRandom rng) {
    double[] w = new double[heads * hidden];
    return s == InitStrategy.INHERIT_MIMIC ? w : linearDefault(heads, hidden, rng);
  }

  /**
   * dt_bias (H).
   *
   * <ul>
   *   <li>INHERIT_MIMIC: softplus^-1(dt0), dt0 = exp(U(log DT_MIN, log DT_MAX)) clamped &gt;=
   *       DT_FLOOR, computed as dt0 + log(-expm1(-dt0)) (Mamba-2's dt init; docs/method.md §2.4).
   *       So softplus(dt_bias) is in [1e-3, 1e-1].
   *   <li>INHERIT, SCRATCH: 0 (docs/method.md §2.4 "mimic_init=false ... dt_bias = 0").
   * </ul>
   */
  public static double[] dtBias(InitStrategy s, int heads, SplittableRandom rng) {
    double[] b = new double[heads];
    if (s != InitStrategy.INHERIT_MIMIC) {
      return b;
    }
    double lo = Math.log(DT_MIN);
    double hi = Math.log(DT_MAX);
    for (int h = 0; h < heads; h++) {
      double dt0 = Math.max(DT_FLOOR, Math.exp(lo + rng.nextDouble() * (hi - lo)));
      b[h] = dt0 + Math.log(-Math.expm1(-dt0));
    }
    return b;
  }

  /**
   * A_log (H), with A = -exp(A_log): 1 for every head under INHERIT_MIMIC (A = -e, docs/method.md
   * §2.4); log(U(A_MIN, A_MAX)) otherwise.
   */
  public static double[] aLog(InitStrategy s, int heads, SplittableRandom rng) {
    double[] a = new double[heads];
    for (int h = 0; h < heads; h++) {
      a[h] =
          s == InitStrategy.INHERIT_MIMIC
              ? 1.0
              : Math.log(A_MIN + (A_MAX - A_MIN) * rng.nextDouble());
    }
    return a;
  }

  /**
   * W_G (H*P, D), the gate projection, in every strategy: xavier_uniform with gain 2^-2.5, bound =
   * gain * sqrt(6 / (fan_in + fan_out)) (docs/method.md §2.4).
   */
  public static double[] wG(InitStrategy s, int inner, int hidden, SplittableRandom rng) {
    double bound = GATE_GAIN * Math.sqrt(6.0 / (hidden + inner));
    return uniform(new double[inner * hidden], bound, rng);
  }

  /**
   * The gated-norm weight (P), shared by all heads: 1 in every strategy (docs/method.md §2.4
   * "g_norm weight = 1").
   */
  public static double[] normWeight(InitStrategy s, int headDim) {
    double[] w = new double[headDim];
    java.util.Arrays.fill(w, 1.0);
    return w;
  }

  /**
   * W_C, W_B or W_x (rows, D) under SCRATCH (docs/method.md §2.4 "inherit_qkv=false: default
   * nn.Linear init"): U(-1/sqrt(D), 1/sqrt(D)). The other strategies inherit these from the teacher
   * and never call this.
   */
  public static double[] scratchProjection(int rows, int hidden, SplittableRandom rng) {
    return linearDefault(rows, hidden, rng);
  }

  /** PyTorch's default nn.Linear weight (out, in): U(-1/sqrt(in), 1/sqrt(in)). */
  static double[] linearDefault(int out, int in, SplittableRandom rng) {
    return uniform(new double[out * in], 1 / Math.sqrt(in), rng);
  }

  private static double[] uniform(double[] v, double bound, SplittableRandom rng) {
    for (int i = 0; i < v.length; i++) {
      v[i] = (2 * rng.nextDouble() - 1) * bound;
    }
    return v;
  }

  /**
   * An independent random stream for one parameter of one layer: the value of layer i's parameter
   * depends only on (seed, i, role), not on which other layers are converted or on the order they
   * are visited.
   */
  public static SplittableRandom stream(long seed, int layer, String role) {
    long key = mix64(((long) layer << 32) ^ (role.hashCode() & 0xffffffffL));
    return new SplittableRandom(mix64(seed ^ mix64(key + 0x9E3779B97F4A7C15L)));
  }

  /** Stafford's variant 13 of the SplitMix64 finaliser. */
  private static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
