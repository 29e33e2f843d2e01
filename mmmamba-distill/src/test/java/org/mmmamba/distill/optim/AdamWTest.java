package org.mmmamba.distill.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Offline;
import org.mmmamba.core.io.SafetensorsWriter;

/**
 * AdamW against a plain-loop float64 transcription of torch.optim.AdamW, and its state round trip.
 */
class AdamWTest {
  static {
    Offline.init();
  }

  static final List<String> NAMES =
      List.of(
          "layers.0.mamba.W_x",
          "layers.0.mamba.dt_bias",
          "layers.0.mamba.conv.weight",
          "layers.0.mamba.A_log");
  static final List<long[]> SHAPES =
      List.of(new long[] {3, 4}, new long[] {5}, new long[] {6, 2}, new long[] {5});

  /**
   * torch.optim.AdamW's _single_tensor_adam (decoupled weight decay), element by element, in
   * double: param.mul_(1 - lr*wd); exp_avg.lerp_(grad, 1-b1); exp_avg_sq.mul_(b2).addcmul_(grad,
   * grad, value=1-b2); step_size = lr / (1 - b1^t); denom = sqrt(exp_avg_sq) / sqrt(1 - b2^t) +
   * eps; param.addcdiv_(exp_avg, denom, value=-step_size).
   */
  static final class Reference {
    final double[][] p;
    final double[][] m;
    final double[][] v;
    final long[] t;
    final boolean[] decay;
    final AdamWConfig c;

    Reference(double[][] p0, boolean[] decay, AdamWConfig c) {
      p = new double[p0.length][];
      m = new double[p0.length][];
      v = new double[p0.length][];
      for (int i = 0; i < p0.length; i++) {
        p[i] = p0[i].clone();
        m[i] = new double[p0[i].length];
        v[i] = new double[p0[i].length];
      }
      t = new long[p0.length];
      this.decay = decay;
      this.c = c;
    }

    void step(double[][] g, double lr) {
      for (int i = 0; i < p.length; i++) {
        if (g[i] == null) {
          continue;
        }
        long step = ++t[i];
        double wd = decay[i] ? c.weightDecay() : 0;
        double bc1 = 1 - Math.pow(c.beta1(), step);
        double bc2 = 1 - Math.pow(c.beta2(), step);
        double stepSize = lr / bc1;
        double bc2Sqrt = Math.sqrt(bc2);
        for (int j = 0; j < p[i].length; j++) {
          p[i][j] *= 1 - lr * wd;
          m[i][j] = m[i][j] + (1 - c.beta1()) * (g[i][j] - m[i][j]);
          v[i][j] = v[i][j] * c.beta2() + (1 - c.beta2()) * g[i][j] * g[i][j];
          double denom = Math.sqrt(v[i][j]) / bc2Sqrt + c.eps();
          p[i][j] = p[i][j] + (-stepSize) * (m[i][j] / denom);
        }
      }
    }
  }

  static double[] gaussian(Random r, int n, double scale) {
    double[] a = new double[n];
    for (int i = 0; i < n; i++) {
      a[i] = r.nextGaussian() * scale;
    }
    return a;
  }

  static int numel(long[] s) {
    int n = 1;
    for (long d : s) {
      n *= (int) d;
    }
    return n;
  }

  @Test
  void matchesTorchFormulaInFloat64() {
    AdamWConfig cfg = new AdamWConfig(0.9, 0.999, 1e-8, 0.1);
    LrSchedule sched = LrSchedule.Wsd.of(3e-2, 3, 4, 3);
    Random r = new Random(7);
    double[][] p0 = new double[NAMES.size()][];
    for (int i = 0; i < p0.length; i++) {
      p0[i] = gaussian(r, numel(SHAPES.get(i)), 1.0);
    }
    boolean[] decay = new boolean[NAMES.size()];
    for (int i = 0; i < decay.length; i++) {
      decay[i] = WeightDecay.officialDecays(NAMES.get(i));
    }
    assertArrayEquals(new boolean[] {true, false, true, false}, decay);
    Reference ref = new Reference(p0, decay, cfg);
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> params = new LinkedHashMap<>();
      for (int i = 0; i < p0.length; i++) {
        params.put(NAMES.get(i), m.create(p0[i], new Shape(SHAPES.get(i))));
      }
      try (AdamW opt = new AdamW(params, cfg, WeightDecay.official())) {
        for (int step = 0; step < 10; step++) {
          double lr = sched.lr(step);
          double[][] g = new double[p0.length][];
          Map<String, NDArray> grads = new LinkedHashMap<>();
          for (int i = 0; i < p0.length; i++) {
            // param 1 has no gradient on step 4: skipped, its t lags (torch's p.grad is None)
            if (i == 1 && step == 4) {
              continue;
            }
            g[i] = gaussian(r, p0[i].length, 0.5 + step);
            grads.put(NAMES.get(i), m.create(g[i], new Shape(SHAPES.get(i))));
          }
          ref.step(g, lr);
          opt.step(grads, lr);
          grads.values().forEach(NDArray::close);
        }
        assertEquals(10, opt.steps());
        assertEquals(9, opt.updates(NAMES.get(1)));
        double worst = 0;
        for (int i = 0; i < p0.length; i++) {
          double[] got = params.get(NAMES.get(i)).toDoubleArray();
          double[] gm = opt.m(NAMES.get(i)).toDoubleArray();
          double[] gv = opt.v(NAMES.get(i)).toDoubleArray();
          for (int j = 0; j < got.length; j++) {
            worst = Math.max(worst, Math.abs(got[j] - ref.p[i][j]));
            worst = Math.max(worst, Math.abs(gm[j] - ref.m[i][j]));
            worst = Math.max(worst, Math.abs(gv[j] - ref.v[i][j]));
          }
          // the parameters really moved (a no-op optimiser would fail here)
          assertTrue(Math.abs(got[0] - p0[i][0]) > 1e-3, NAMES.get(i));
        }
        assertTrue(worst <= 1e-12, "max |diff| " + worst);
      }
    }
  }

  @Test
  void decayIsDecoupledAndMasked() {
    // zero gradient: the Adam part is 0/(0+eps)=0, so only the decay acts: p *= (1 - lr*wd)
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> params = new LinkedHashMap<>();
      params.put("w", m.create(new double[] {2.0, -4.0}));
      params.put("b_Q", m.create(new double[] {2.0, -4.0}));
      try (AdamW opt = new AdamW(params, AdamWConfig.torchDefaults(0.5), WeightDecay.official())) {
        opt.step(
            Map.of(
                "w",
                m.zeros(new Shape(2), DataType.FLOAT64),
                "b_Q",
                m.zeros(new Shape(2), DataType.FLOAT64)),
            0.1);
        assertArrayEquals(new double[] {1.9, -3.8}, params.get("w").toDoubleArray(), 1e-15);
        assertArrayEquals(new double[] {2.0, -4.0}, params.get("b_Q").toDoubleArray(), 0.0);
      }
    }
  }

  @Test
  void firstStepMovesEachWeightByLr() {
    // t = 1: m̂ = g, v̂ = g², so the update is lr * g / (|g| + eps) ≈ lr * sign(g)
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> params = Map.of("w", m.create(new double[] {1.0, 1.0}));
      try (AdamW opt = new AdamW(params, AdamWConfig.torchDefaults(0), WeightDecay.none())) {
        opt.step(Map.of("w", m.create(new double[] {3.0, -0.5})), 0.01);
        double[] p = params.get("w").toDoubleArray();
        assertEquals(1.0 - 0.01 * 3.0 / (3.0 + 1e-8), p[0], 1e-15);
        assertEquals(1.0 + 0.01 * 0.5 / (0.5 + 1e-8), p[1], 1e-15);
      }
    }
  }

  @Test
  void officialMaskUnderCanonicalNames() {
    for (String yes :
        List.of(
            "layers.3.mamba.W_x",
            "layers.3.mamba.W_B",
            "layers.3.mamba.W_C",
            "layers.3.mamba.W_G",
            "layers.3.mamba.W_dt",
            "layers.3.mamba.conv.weight",
            "layers.3.mamba.norm.weight",
            "layers.0.attn.W_Q",
            "layers.0.mlp.W_up",
            "embed.weight",
            "final_norm.weight")) {
      assertTrue(WeightDecay.officialDecays(yes), yes);
    }
    for (String no :
        List.of(
            "layers.3.mamba.dt_bias",
            "layers.3.mamba.A_log",
            "layers.3.mamba.conv.bias",
            "layers.3.mamba.D",
            "layers.0.attn.b_Q",
            "layers.0.attn.b_O")) {
      assertFalse(WeightDecay.officialDecays(no), no);
    }
  }

  /** float32 params, 10 steps straight vs 5 + save + load into fresh objects + 5: bitwise equal. */
  @Test
  void saveLoadContinueIsBitwiseUninterrupted(@TempDir Path dir) {
    AdamWConfig cfg = AdamWConfig.mmMamba();
    LrSchedule sched = LrSchedule.Cosine.of(1e-2, 2, 10, 0.1);
    float[][] straight = run(cfg, sched, 10, -1, null);
    float[][] resumed = run(cfg, sched, 10, 5, dir);
    for (int i = 0; i < straight.length; i++) {
      assertArrayEquals(straight[i], resumed[i], 0f, NAMES.get(i));
    }
  }

  /**
   * Runs {@code steps} steps; if {@code stopAt >= 0} saves there and continues with new objects.
   */
  private static float[][] run(AdamWConfig cfg, LrSchedule sched, int steps, int stopAt, Path dir) {
    Random init = new Random(11);
    NDManager m = NDManager.newBaseManager();
    try {
      Map<String, NDArray> params = newParams(m, init);
      AdamW opt = new AdamW(params, cfg, WeightDecay.official());
      for (int s = 0; s < steps; s++) {
        if (s == stopAt) {
          Path optFile = dir.resolve("optim.safetensors");
          Path parFile = dir.resolve("params.safetensors");
          opt.save(optFile);
          SafetensorsWriter w = new SafetensorsWriter();
          params.forEach((n, a) -> org.mmmamba.core.io.TensorIo.put(w, n, a));
          w.write(parFile);
          opt.close();
          m.close();
          m = NDManager.newBaseManager();
          params = newParams(m, new Random(999)); // different values, overwritten by the load
          try (org.mmmamba.core.io.CheckpointReader r =
              org.mmmamba.core.io.CheckpointReader.open(parFile)) {
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
              org.mmmamba.core.io.TensorIo.copyInto(r, e.getKey(), e.getValue());
            }
          }
          opt = new AdamW(params, cfg, WeightDecay.official());
          opt.load(optFile);
          assertEquals(stopAt, opt.steps());
        }
        Random gr = new Random(1000 + s);
        Map<String, NDArray> grads = new LinkedHashMap<>();
        for (int i = 0; i < NAMES.size(); i++) {
          grads.put(
              NAMES.get(i),
              m.create(
                  toFloats(gaussian(gr, numel(SHAPES.get(i)), 1.0)), new Shape(SHAPES.get(i))));
        }
        opt.step(grads, sched.lr(s));
        grads.values().forEach(NDArray::close);
      }
      float[][] out = new float[NAMES.size()][];
      for (int i = 0; i < out.length; i++) {
        out[i] = params.get(NAMES.get(i)).toFloatArray();
      }
      opt.close();
      return out;
    } finally {
      m.close();
    }
  }

  private static Map<String, NDArray> newParams(NDManager m, Random r) {
    Map<String, NDArray> params = new LinkedHashMap<>();
    for (int i = 0; i < NAMES.size(); i++) {
      params.put(
          NAMES.get(i),
          m.create(toFloats(gaussian(r, numel(SHAPES.get(i)), 1.0)), new Shape(SHAPES.get(i))));
    }
    return params;
  }

  private static float[] toFloats(double[] d) {
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      f[i] = (float) d[i];
    }
    return f;
  }

  @Test
  void loadRejectsMismatchedState(@TempDir Path dir) {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> a = Map.of("w", m.zeros(new Shape(2, 3)));
      Map<String, NDArray> b = Map.of("w", m.zeros(new Shape(3, 2)));
      Map<String, NDArray> c =
          new LinkedHashMap<>(Map.of("w", m.zeros(new Shape(2, 3)), "u", m.zeros(new Shape(1))));
      Path f = dir.resolve("o.safetensors");
      try (AdamW opt = new AdamW(a, AdamWConfig.mmMamba(), WeightDecay.all())) {
        opt.save(f);
      }
      try (AdamW opt = new AdamW(b, AdamWConfig.mmMamba(), WeightDecay.all())) {
        BadInputException e = assertThrows(BadInputException.class, () -> opt.load(f));
        assertTrue(
            e.getMessage().contains("optim.m.w") && e.getMessage().contains("shape"),
            e.getMessage());
      }
      try (AdamW opt = new AdamW(c, AdamWConfig.mmMamba(), WeightDecay.all())) {
        BadInputException e = assertThrows(BadInputException.class, () -> opt.load(f));
        assertTrue(e.getMessage().contains("optim.t.u"), e.getMessage());
      }
      try (AdamW opt =
          new AdamW(Map.of("u", m.zeros(new Shape(1))), AdamWConfig.mmMamba(), WeightDecay.all())) {
        BadInputException e = assertThrows(BadInputException.class, () -> opt.load(f));
        assertTrue(e.getMessage().contains("unexpected tensor 'optim."), e.getMessage());
      }
    }
  }

  @Test
  void rejectsBadArguments() {
    assertThrows(
        IllegalArgumentException.class, () -> new AdamWConfig(1.0, 0.999, 1e-8, 0).validate());
    assertThrows(
        IllegalArgumentException.class, () -> new AdamWConfig(0.9, 0.999, 0, 0).validate());
    assertThrows(
        IllegalArgumentException.class, () -> new AdamWConfig(0.9, 0.999, 1e-8, -1).validate());
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> p = Map.of("w", m.zeros(new Shape(2)));
      try (AdamW opt = new AdamW(p, AdamWConfig.mmMamba(), WeightDecay.all())) {
        assertThrows(
            IllegalArgumentException.class,
            () -> opt.step(Map.of("x", m.zeros(new Shape(2))), 0.1));
        assertThrows(
            IllegalArgumentException.class,
            () -> opt.step(Map.of("w", m.zeros(new Shape(3))), 0.1));
        assertThrows(
            IllegalArgumentException.class,
            () -> opt.step(Map.of("w", m.zeros(new Shape(2))), Double.NaN));
      }
    }
  }
}
