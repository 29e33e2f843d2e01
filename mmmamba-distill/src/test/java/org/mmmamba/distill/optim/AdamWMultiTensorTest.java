package org.mmmamba.distill.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;

/**
 * The multi-tensor fast path of {@link AdamW} against its slow twin, the per-parameter path:
 * parameters and moments bitwise equal after steps that take the fast path, a step where one
 * parameter has no gradient (per-parameter path) and steps after it, whose unequal update counts
 * keep them on the per-parameter path.
 */
class AdamWMultiTensorTest {
  static {
    Offline.init();
  }

  private static final Shape[] SHAPES = {
    new Shape(7, 5), new Shape(5), new Shape(3, 2, 4), new Shape(1), new Shape(6, 6)
  };
  private static final String[] NAMES = {
    "model.layers.0.mixer.in_proj.weight",
    "model.layers.0.mixer.dt_bias",
    "model.layers.0.mixer.conv1d.weight",
    "model.layers.0.mixer.A_log",
    "model.layers.0.mixer.out_proj.weight"
  };

  private static Map<String, NDArray> params(NDManager m, long seed, DataType dt) {
    Random r = new Random(seed);
    Map<String, NDArray> p = new LinkedHashMap<>();
    for (int i = 0; i < NAMES.length; i++) {
      float[] v = new float[(int) SHAPES[i].size()];
      for (int j = 0; j < v.length; j++) {
        v[j] = (float) r.nextGaussian();
      }
      p.put(NAMES[i], m.create(v, SHAPES[i]).toType(dt, false));
    }
    return p;
  }

  /**
   * Two equal sets of random gradients for {@code step} (one for each optimiser), in {@code dt}; at
   * step 3 the conv weight has none.
   */
  private static List<Map<String, NDArray>> gradients(
      NDManager m, Random r, int step, DataType dt) {
    Map<String, NDArray> ga = new HashMap<>();
    Map<String, NDArray> gb = new HashMap<>();
    for (int i = 0; i < NAMES.length; i++) {
      float[] v = new float[(int) SHAPES[i].size()];
      for (int j = 0; j < v.length; j++) {
        v[j] = (float) (r.nextGaussian() * (1 + step));
      }
      boolean absent = step == 3 && i == 2;
      ga.put(NAMES[i], absent ? null : m.create(v, SHAPES[i]).toType(dt, false));
      gb.put(NAMES[i], absent ? null : m.create(v, SHAPES[i]).toType(dt, false));
    }
    return List.of(ga, gb);
  }

  /** The same parameters as {@link #params}, as views of one flat buffer (returned first). */
  private static NDArray flatParams(NDManager m, long seed, DataType dt, Map<String, NDArray> out) {
    Map<String, NDArray> src = params(m, seed, dt);
    long total = 0;
    for (Shape s : SHAPES) {
      total += s.size();
    }
    NDArray flat = m.zeros(new Shape(total), dt);
    long offset = 0;
    for (int i = 0; i < NAMES.length; i++) {
      long n = SHAPES[i].size();
      NDArray view = flat.get("{}:{}", offset, offset + n).reshape(SHAPES[i]);
      view.set(new ai.djl.ndarray.index.NDIndex("..."), src.get(NAMES[i]));
      out.put(NAMES[i], view);
      offset += n;
    }
    return flat;
  }

  @Test
  void flatParametersAreBitwiseThePerParameterPath() {
    // Masked decay (official(): the weights decay, dt_bias and A_log do not), all-decay and none.
    java.util.List<java.util.function.Predicate<String>> masks =
        java.util.List.of(WeightDecay.official(), n -> true, n -> false);
    for (java.util.function.Predicate<String> decays : masks) {
      try (NDManager m = NDManager.newBaseManager()) {
        Map<String, NDArray> fast = new LinkedHashMap<>();
        NDArray flat = flatParams(m, 1, DataType.FLOAT32, fast);
        Map<String, NDArray> slow = params(m, 1, DataType.FLOAT32);
        AdamWConfig cfg = new AdamWConfig(0.9, 0.95, 1e-8, 0.1);
        try (AdamW a = new AdamW(fast, cfg, decays).parametersFlat(flat);
            AdamW b = new AdamW(slow, cfg, decays).multiTensor(false)) {
          Random r = new Random(2);
          for (int step = 0; step < 6; step++) {
            // Step 3: the conv weight gets no gradient (the per-parameter path, through views).
            List<Map<String, NDArray>> g = gradients(m, r, step, DataType.FLOAT32);
            Map<String, NDArray> ga = g.get(0);
            Map<String, NDArray> gb = g.get(1);
            double lr = 1e-2 * (step + 1);
            a.step(ga, lr);
            b.step(gb, lr);
            for (String n : NAMES) {
              assertArrayEquals(
                  slow.get(n).toFloatArray(), fast.get(n).toFloatArray(), 0f, n + " at " + step);
            }
          }
          // The parameters moved (a test that cannot fail otherwise).
          Map<String, NDArray> start = params(m, 1, DataType.FLOAT32);
          float[] before = start.get(NAMES[0]).toFloatArray();
          float[] after = fast.get(NAMES[0]).toFloatArray();
          org.junit.jupiter.api.Assertions.assertFalse(java.util.Arrays.equals(before, after));
        }
      }
    }
  }

  @Test
  void flatParametersMustMatchTheLayout() {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> p = params(m, 1, DataType.FLOAT32);
      try (AdamW a = new AdamW(p, new AdamWConfig(0.9, 0.95, 1e-8, 0.1), n -> true)) {
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> a.parametersFlat(m.zeros(new Shape(3))));
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () -> a.parametersFlat(m.zeros(new Shape(7 * 5 + 5 + 24 + 1 + 36), DataType.FLOAT64)));
      }
    }
  }

  @Test
  void fastPathIsBitwiseThePerParameterPath() {
    for (DataType dt : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
      try (NDManager m = NDManager.newBaseManager()) {
        Map<String, NDArray> fast = params(m, 1, dt);
        Map<String, NDArray> slow = params(m, 1, dt);
        AdamWConfig cfg = new AdamWConfig(0.9, 0.95, 1e-8, 0.1);
        try (AdamW a = new AdamW(fast, cfg, WeightDecay.official());
            AdamW b = new AdamW(slow, cfg, WeightDecay.official()).multiTensor(false)) {
          Random r = new Random(2);
          for (int step = 0; step < 6; step++) {
            // Step 3: the conv weight gets no gradient (the per-parameter path serves it).
            List<Map<String, NDArray>> g = gradients(m, r, step, dt);
            Map<String, NDArray> ga = g.get(0);
            Map<String, NDArray> gb = g.get(1);
            double lr = 1e-2 * (step + 1);
            a.step(ga, lr);
            b.step(gb, lr);
            for (String n : NAMES) {
              assertArrayEquals(
                  b.m(n).toType(DataType.FLOAT64, false).toDoubleArray(),
                  a.m(n).toType(DataType.FLOAT64, false).toDoubleArray(),
                  0.0,
                  "m of " + n + " at step " + step);
              assertArrayEquals(
                  b.v(n).toType(DataType.FLOAT64, false).toDoubleArray(),
                  a.v(n).toType(DataType.FLOAT64, false).toDoubleArray(),
                  0.0,
                  "v of " + n + " at step " + step);
              assertArrayEquals(
                  slow.get(n).toType(DataType.FLOAT64, false).toDoubleArray(),
                  fast.get(n).toType(DataType.FLOAT64, false).toDoubleArray(),
                  0.0,
                  n + " at step " + step);
            }
          }
        }
      }
    }
  }
}
