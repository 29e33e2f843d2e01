package org.mmmamba.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mmmamba.core.Fixtures;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.config.LayerKind;
import org.mmmamba.core.config.ParamNames;
import org.mmmamba.core.generate.GenerationConfig;
import org.mmmamba.core.generate.Generator;
import org.mmmamba.core.seed.InitStrategy;
import org.mmmamba.core.seed.Seeder;

/**
 * Decode = full forward for seeded students (linear and hybrid): KV caches for the kept attention
 * layers, conv and SSM states for the Mamba-2 layers. The new parameters are randomised after
 * seeding (non-zero W_dt, random conv taps and bias, A_log, dt_bias, W_G, norm weight) so that
 * every path of the mixer matters.
 */
class StudentCacheConsistencyTest {
  static {
    Offline.init();
  }

  /** 4 layers, D 32, H 4, G 2, P 8, vocab 41. */
  static final DecoderConfig TEACHER = DecoderConfig.llama(41, 32, 4, 4, 2, 8, 48);

  /** A seeded student whose new parameters are then randomised (float64). */
  static DecoderModel student(NDManager m, String layout, int convKernel, int chunk) {
    return student(m, layout, convKernel, chunk, false);
  }

  /** As above; with {@code useD} the mixers also get the D skip term, with random D. */
  static DecoderModel student(NDManager m, String layout, int convKernel, int chunk, boolean useD) {
    Weights tw = RandomWeights.create(TEACHER, m, DataType.FLOAT64, 21, 0.25);
    DecoderModel s;
    try {
      s =
          Seeder.seed(
              TEACHER,
              tw,
              HybridLayout.parse(layout),
              InitStrategy.INHERIT_MIMIC,
              3,
              convKernel,
              chunk,
              m);
    } finally {
      tw.close();
    }
    SplittableRandom rng = new SplittableRandom(99);
    Weights w = s.weights();
    DecoderConfig cfg =
        useD
            ? s.config()
                .withLayers(
                    s.config().family(), s.config().layerKinds(), s.config().mamba().withD(true))
            : s.config();
    Map<String, long[]> shapes = RandomWeights.canonicalShapes(cfg);
    for (int i = 0; i < TEACHER.numLayers(); i++) {
      if (s.config().kind(i) != LayerKind.MAMBA2) {
        continue;
      }
      for (String role :
          new String[] {
            "W_dt", "conv.weight", "conv.bias", "A_log", "dt_bias", "W_G", "norm.weight", "D"
          }) {
        if (role.equals("D") && !useD) {
          continue;
        }
        String n = ParamNames.mamba(i, role);
        long[] shape = shapes.get(n);
        double[] v = new double[(int) Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
        for (int j = 0; j < v.length; j++) {
          double r = 2 * rng.nextDouble() - 1;
          v[j] =
              role.equals("A_log")
                  ? Math.log(0.3 + 1.5 * rng.nextDouble())
                  : role.equals("dt_bias")
                      ? -1.5 + r
                      : role.equals("norm.weight")
                          ? 1 + 0.2 * r
                          : role.startsWith("W_")
                              ? r * 0.5 / Math.sqrt(TEACHER.hiddenSize())
                              : r * 0.8;
        }
        w.put(n, w.manager().create(v, new Shape(shape)));
      }
    }
    // Layers hold references to the arrays they were built on: rebuild them over the new tensors.
    return new DecoderModel(cfg, w);
  }

  static long[][] ids(int rows, int len, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    long[][] ids = new long[rows][len];
    for (long[] r : ids) {
      for (int t = 0; t < len; t++) {
        r[t] = rng.nextInt(TEACHER.vocabSize());
      }
    }
    return ids;
  }

  @ParameterizedTest
  @CsvSource({
    "linear, 2, 4, false",
    "head-interleaved:2, 2, 4, false",
    "linear, 3, 3, false",
    "tail-interleaved:1, 4, 5, false",
    "linear, 2, 4, true",
    "head-interleaved:2, 3, 3, true"
  })
  void decodeEqualsFullForward(String layout, int convKernel, int chunk, boolean useD) {
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel s = student(m, layout, convKernel, chunk, useD)) {
      long[][] ids = ids(2, 13, 5);
      for (int prefill : new int[] {1, 3, 6}) {
        CacheConsistencyTest.assertDecodeMatches(s, m, ids, prefill);
      }
      assertPiecewiseMatches(s, m, ids, new int[] {5, 1, 3, 4});
    }
  }

  /**
   * Feed the sequence in pieces of the given lengths (multi-token continuations too) against one
   * full pass.
   */
  static void assertPiecewiseMatches(DecoderModel model, NDManager m, long[][] ids, int[] pieces) {
    int b = ids.length;
    int l = ids[0].length;
    int v = model.config().vocabSize();
    double[] full = model.forward(model.ids(m, ids)).toDoubleArray();
    double[] inc = new double[full.length];
    try (ModelCache cache = model.newCache(m, b, l)) {
      int pos = 0;
      for (int n : pieces) {
        long[][] chunk = new long[b][];
        for (int i = 0; i < b; i++) {
          chunk[i] = Arrays.copyOfRange(ids[i], pos, pos + n);
        }
        try (NDScope scope = new NDScope()) {
          double[] part =
              model.logits(model.hidden(model.embed(model.ids(m, chunk)), cache)).toDoubleArray();
          for (int i = 0; i < b; i++) {
            System.arraycopy(part, i * n * v, inc, (i * l + pos) * v, n * v);
          }
        }
        pos += n;
      }
      assertTrue(pos == l, "pieces cover the sequence");
    }
    double err = Fixtures.relError(inc, full);
    assertTrue(err < 1e-10, "piecewise decode vs full forward, relative error " + err);
  }

  @ParameterizedTest
  @CsvSource({"linear", "head-interleaved:2"})
  void greedyWithCacheEqualsArgmaxOfRepeatedFullForwards(String layout) {
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel s = student(m, layout, 2, 4)) {
      long[][] prompts = ids(2, 5, 8);
      int steps = 8;
      long[][] got = Generator.generate(s, prompts, GenerationConfig.greedy(steps));
      long[][] cur = prompts;
      for (int t = 0; t < steps; t++) {
        long[][] next = new long[cur.length][];
        try (NDScope scope = new NDScope()) {
          NDArray logits = s.forward(s.ids(m, cur));
          int len = cur[0].length;
          for (int i = 0; i < cur.length; i++) {
            double[] row = logits.get("{}, {}, :", i, len - 1).toDoubleArray();
            int best = 0;
            for (int j = 1; j < row.length; j++) {
              best = row[j] > row[best] ? j : best;
            }
            next[i] = Arrays.copyOf(cur[i], len + 1);
            next[i][len] = best;
          }
        }
        cur = next;
      }
      for (int i = 0; i < cur.length; i++) {
        assertArrayEquals(cur[i], got[i], "row " + i);
      }
    }
  }
}
