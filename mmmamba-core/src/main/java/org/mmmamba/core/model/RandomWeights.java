package org.mmmamba.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.ModelFamily;
import org.mmmamba.core.config.ParamNames;
import org.mmmamba.core.config.VlmConfig;
import org.mmmamba.core.io.HovleWeightMap;
import org.mmmamba.core.io.WeightMap;
import org.mmmamba.core.io.WeightMaps;

/**
 * Random initialisation of every canonical tensor a config needs (tests, benchmarks, training from
 * scratch). Deterministic from a seed (Java RNG, independent of the engine's RNG).
 *
 * <p>Matrices ~ N(0, std^2) (HF's initializer_range convention, default 0.02), norms = 1, biases =
 * 0; Mamba-2 scalars as HF Mamba2 initialises them: A_log = log(U[1, 16]), dt_bias =
 * softplus^-1(dt) with dt = exp(U[log 1e-3, log 1e-1]), D = 1, conv ~ U(-1/sqrt(K), 1/sqrt(K)).
 */
public final class RandomWeights {
  private RandomWeights() {}

  /**
   * Canonical tensor name to shape, derived from the family's weight table (one source of truth).
   */
  public static Map<String, long[]> canonicalShapes(DecoderConfig c) {
    // The MMMAMBA table covers both layer kinds; pure-attention families map one to one onto it.
    DecoderConfig table =
        c.family() == ModelFamily.MAMBA2
            ? c
            : c.withFamily(c.hasMamba() ? ModelFamily.MMMAMBA : c.family());
    return shapesOf(WeightMaps.of(table));
  }

  /** Canonical tensor name to shape for every tensor {@code map} mentions. */
  static Map<String, long[]> shapesOf(WeightMap map) {
    Map<String, long[]> rows = new LinkedHashMap<>();
    Map<String, long[]> out = new LinkedHashMap<>();
    for (WeightMap.Entry e : map.entries()) {
      long[] s = e.shape();
      for (WeightMap.Block b : e.blocks()) {
        if (e.canonicalShape() != null) {
          out.put(b.canonical(), e.canonicalShape());
          continue;
        }
        long[] cur = rows.get(b.canonical());
        long[] shape = s.clone();
        shape[0] = Math.max(cur == null ? 0 : cur[0], b.canonicalRow() + b.rows());
        rows.put(b.canonical(), shape);
        out.put(b.canonical(), shape);
      }
    }
    return out;
  }

  /** A new {@link Weights} with every tensor of {@code c} randomly initialised. */
  public static Weights create(
      DecoderConfig c, NDManager parent, DataType dtype, long seed, double std) {
    Weights w = new Weights(parent, dtype);
    SplittableRandom rng = new SplittableRandom(seed);
    for (Map.Entry<String, long[]> e : canonicalShapes(c).entrySet()) {
      w.put(e.getKey(), init(w.manager(), e.getKey(), e.getValue(), rng, std, dtype));
    }
    return w;
  }

  /**
   * A random vision-language model: the joint stack as {@link #create} makes it (seed {@code
   * seed}), the vision store's tensors ({@code vision.*}, {@code llm.tok_embeddings.weight}; shapes
   * from the HoVLE table) all N(0, std^2), biases included, from a stream derived from the same
   * seed.
   */
  public static VisionLanguageModel vlm(
      VlmConfig c, NDManager parent, DataType dtype, long seed, double std) {
    DecoderModel decoder = new DecoderModel(c.stack(), create(c.stack(), parent, dtype, seed, std));
    Weights vw = new Weights(parent, dtype);
    try {
      SplittableRandom rng = new SplittableRandom(seed ^ 0x5DEECE66DL);
      for (Map.Entry<String, long[]> e :
          shapesOf(VlmIo.visionPart(HovleWeightMap.of(c), true)).entrySet()) {
        vw.put(e.getKey(), init(vw.manager(), e.getKey(), e.getValue(), rng, std, dtype));
      }
      return new VisionLanguageModel(c, vw, decoder);
    } catch (RuntimeException ex) {
      vw.close();
      decoder.close();
      throw ex;
    }
  }

  /**
   * As {@link #create}, but every plain matrix (the N(0, std^2) tensors: projections, MLPs,
   * embeddings, LM head) is drawn by the engine's RNG on the manager's device (seeded with {@code
   * seed}); the small special tensors (norms, Mamba-2 scalars, conv, biases) follow {@link
   * #create}'s rules from a Java stream. Seconds instead of minutes at HoVLE-2.6B's size (2.6 G
   * values), for benchmarks; the values differ from {@link #create}'s for the same seed.
   */
  public static Weights createOnEngine(
      DecoderConfig c, NDManager parent, DataType dtype, long seed, double std) {
    Weights w = new Weights(parent, dtype);
    SplittableRandom rng = new SplittableRandom(seed);
    ai.djl.engine.Engine.getInstance().setRandomSeed((int) (seed ^ (seed >>> 32)));
    for (Map.Entry<String, long[]> e : canonicalShapes(c).entrySet()) {
      String name = e.getKey();
      if (special(name)) {
        w.put(name, init(w.manager(), name, e.getValue(), rng, std, dtype));
      } else {
        NDArray f =
            w.manager().randomNormal(0f, (float) std, new Shape(e.getValue()), DataType.FLOAT32);
        NDArray out = f.toType(dtype, false);
        if (out != f) {
          f.close();
        }
        w.put(name, out);
      }
    }
    return w;
  }

  /** A random model of config {@code c} (std 0.02) with {@link #createOnEngine}. */
  public static DecoderModel modelOnEngine(
      DecoderConfig c, NDManager parent, DataType dtype, long seed) {
    return new DecoderModel(c, createOnEngine(c, parent, dtype, seed, 0.02));
  }

  /** True for the tensors {@link #init} does not draw from N(0, std^2). */
  static boolean special(String name) {
    String role = name.substring(name.lastIndexOf('.') + 1);
    return name.endsWith("norm.weight")
        || name.equals(ParamNames.FINAL_NORM)
        || name.endsWith("A_log")
        || name.endsWith("dt_bias")
        || role.equals("D")
        || name.endsWith("conv.weight")
        || role.startsWith("b_")
        || name.endsWith("conv.bias");
  }

  /** A random model of config {@code c} (std 0.02). */
  public static DecoderModel model(DecoderConfig c, NDManager parent, DataType dtype, long seed) {
    return new DecoderModel(c, create(c, parent, dtype, seed, 0.02));
  }

  static NDArray init(
      NDManager m, String name, long[] shape, SplittableRandom rng, double std, DataType dt) {
    int n = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    double[] v = new double[n];
    String role = name.substring(name.lastIndexOf('.') + 1);
    if (name.endsWith("norm.weight") || name.equals(ParamNames.FINAL_NORM)) {
      Arrays.fill(v, 1.0);
    } else if (name.endsWith("A_log")) {
      for (int i = 0; i < n; i++) {
        v[i] = Math.log(1 + 15 * rng.nextDouble());
      }
    } else if (name.endsWith("dt_bias")) {
      for (int i = 0; i < n; i++) {
        double step =
            Math.exp(Math.log(1e-3) + rng.nextDouble() * (Math.log(1e-1) - Math.log(1e-3)));
        v[i] = step + Math.log(-Math.expm1(-step));
      }
    } else if (role.equals("D")) {
      Arrays.fill(v, 1.0);
    } else if (name.endsWith("conv.weight")) {
      double bound = 1 / Math.sqrt(shape[shape.length - 1]);
      for (int i = 0; i < n; i++) {
        v[i] = (2 * rng.nextDouble() - 1) * bound;
      }
    } else if (role.startsWith("b_") || name.endsWith("conv.bias")) {
      Arrays.fill(v, 0.0);
    } else {
      for (int i = 0; i < n; i++) {
        v[i] = std * gaussian(rng);
      }
    }
    NDArray wide = m.create(v, new Shape(shape));
    NDArray out = wide.toType(dt, false);
    if (out != wide) {
      wide.close(); // else the float64 source would live in the weights' manager as long as the
      // model
    }
    return out;
  }

  /** Box-Muller normal from a SplittableRandom. */
  static double gaussian(SplittableRandom rng) {
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }
}
