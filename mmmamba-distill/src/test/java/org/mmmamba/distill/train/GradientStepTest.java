package org.mmmamba.distill.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;
import org.mmmamba.distill.optim.AdamW;
import org.mmmamba.distill.optim.AdamWConfig;
import org.mmmamba.distill.optim.LrSchedule;
import org.mmmamba.distill.optim.NonFinite;
import org.mmmamba.distill.optim.WeightDecay;

/**
 * The training step on a tiny regression y = W x + b (W: (OUT, IN), b: (OUT), batch rows of x: (N,
 * IN)): it learns, it does not leak native arrays, it is deterministic, it scales accumulated
 * micro-batches by 1/k, and it skips non-finite steps leaving clean gradients.
 */
class GradientStepTest {
  static {
    Offline.init();
  }

  static final int IN = 8;
  static final int OUT = 4;
  static final int N = 16;

  /** The regression problem: parameters, a fixed target map, and a seeded stream of inputs. */
  static final class Problem implements AutoCloseable {
    final NDManager params = NDManager.newBaseManager();
    final NDManager data = NDManager.newBaseManager();
    final Map<String, NDArray> trainable = new LinkedHashMap<>();
    final float[] wTrue = new float[OUT * IN];
    final DataType dt;

    Problem(long seed, DataType dt) {
      this.dt = dt;
      Random r = new Random(seed);
      for (int i = 0; i < wTrue.length; i++) {
        wTrue[i] = (float) r.nextGaussian();
      }
      float[] w0 = new float[OUT * IN];
      for (int i = 0; i < w0.length; i++) {
        w0[i] = (float) (0.1 * r.nextGaussian());
      }
      NDArray w = params.create(w0, new Shape(OUT, IN)).toType(dt, false);
      NDArray b = params.zeros(new Shape(OUT), dt);
      w.setRequiresGradient(true);
      b.setRequiresGradient(true);
      trainable.put("layers.0.W", w);
      trainable.put("layers.0.b_O", b);
    }

    /** Mean squared error on {@code rows} inputs drawn from {@code r}. */
    NDArray loss(Random r, int rows) {
      float[] x = new float[rows * IN];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) r.nextGaussian();
      }
      float[] y = new float[rows * OUT];
      for (int n = 0; n < rows; n++) {
        for (int o = 0; o < OUT; o++) {
          double s = 0.5;
          for (int i = 0; i < IN; i++) {
            s += wTrue[o * IN + i] * x[n * IN + i];
          }
          y[n * OUT + o] = (float) s;
        }
      }
      NDArray xs = data.create(x, new Shape(rows, IN)).toType(dt, false);
      NDArray ys = data.create(y, new Shape(rows, OUT)).toType(dt, false);
      NDArray pred =
          xs.matMul(trainable.get("layers.0.W").transpose()).add(trainable.get("layers.0.b_O"));
      // float32 loss for float16 parameters (mixed precision); a no-op for float32/64
      return org.mmmamba.core.nn.Fp32.up(pred.sub(ys)).square().mean();
    }

    GradientStep stepper(double maxNorm) {
      AdamW opt = new AdamW(trainable, AdamWConfig.mmMamba(), WeightDecay.official());
      return new GradientStep(trainable, opt, LrSchedule.Wsd.of(0.05, 10, 150, 40), maxNorm);
    }

    @Override
    public void close() {
      data.close();
      params.close();
    }
  }

  @Test
  void learnsWithoutLeaking() {
    try (Problem pb = new Problem(1, DataType.FLOAT32)) {
      GradientStep gs = pb.stepper(1.0);
      Random r = new Random(2);
      int liveAfterWarmup = -1;
      int paramsAfterWarmup = -1;
      double first = 0;
      double last = 0;
      for (int s = 0; s < 200; s++) {
        StepOutcome res = gs.run(2, micro -> pb.loss(r, N / 2));
        assertEquals(s, res.step());
        assertTrue(res.applied());
        if (s == 0) {
          first = res.loss();
          assertEquals(0.0, res.lr()); // warmup starts at 0
        }
        last = res.loss();
        if (s == 9) {
          liveAfterWarmup = LiveArrays.count();
          paramsAfterWarmup = pb.params.getManagedArrays().size();
        }
      }
      assertEquals(liveAfterWarmup, LiveArrays.count(), "live native arrays after 200 steps");
      assertEquals(
          paramsAfterWarmup,
          pb.params.getManagedArrays().size(),
          "arrays in the parameters' manager");
      assertEquals(2, pb.params.getManagedArrays().size(), "only W and b");
      assertEquals(0, pb.data.getManagedArrays().size(), "inputs freed by the step's scope");
      assertTrue(last < 0.01 * first, "loss " + first + " -> " + last);
      assertEquals(200, gs.position());
      assertEquals(200, gs.optimizer().steps());
      gs.optimizer().close();
    }
  }

  @Test
  void sameSeedSameBits() {
    float[][] a = train(5, 40);
    float[][] b = train(5, 40);
    assertArrayEquals(a[0], b[0], 0f);
    assertArrayEquals(a[1], b[1], 0f);
    float[][] c = train(6, 40);
    assertFalse(java.util.Arrays.equals(a[0], c[0]), "a different seed gives different weights");
  }

  private static float[][] train(long seed, int steps) {
    try (Problem pb = new Problem(seed, DataType.FLOAT32)) {
      GradientStep gs = pb.stepper(1.0);
      Random r = new Random(seed + 100);
      for (int s = 0; s < steps; s++) {
        gs.run(2, micro -> pb.loss(r, N / 2));
      }
      gs.optimizer().close();
      return new float[][] {
        pb.trainable.get("layers.0.W").toFloatArray(),
        pb.trainable.get("layers.0.b_O").toFloatArray()
      };
    }
  }

  /**
   * The fused step (gradients flattened once, clipped as one vector, {@code AdamW.stepFlat})
   * against the per-parameter step (AdamW's slow twin, per-gradient clipping): the same norms and
   * weights to float32 rounding over 40 clipped steps; the fused path is taken.
   */
  @Test
  void fusedClipAndUpdateEqualThePerParameterStep() {
    float[][] w = new float[2][];
    double[][] norms = new double[2][40];
    for (int v = 0; v < 2; v++) {
      try (Problem pb = new Problem(9, DataType.FLOAT32)) {
        GradientStep gs = pb.stepper(0.5); // small bound: most steps clip
        gs.optimizer().multiTensor(v == 0);
        Random r = new Random(109);
        for (int s = 0; s < 40; s++) {
          norms[v][s] = gs.run(2, micro -> pb.loss(r, N / 2)).gradNorm();
        }
        if (v == 0) {
          Map<String, NDArray> probe = new LinkedHashMap<>();
          pb.trainable.forEach((n, p) -> probe.put(n, p.zerosLike()));
          assertTrue(gs.optimizer().fusesGradients(probe), "the fused path applies");
        }
        gs.optimizer().close();
        w[v] = pb.trainable.get("layers.0.W").toFloatArray();
      }
    }
    for (int s = 0; s < 40; s++) {
      assertEquals(norms[1][s], norms[0][s], 1e-5 * norms[1][s], "norm at step " + s);
    }
    assertTrue(norms[1][0] > 0.5, "the first steps clip");
    assertArrayEquals(w[1], w[0], 1e-5f);
  }

  /**
   * Per-group clipping (each parameter its own group, as layer-wise stages clip per layer) through
   * the flat vector against the per-parameter path: the same norms and weights to float32 rounding,
   * and the weight and the bias clipped by their own norms.
   */
  @Test
  void fusedGroupClipEqualsThePerParameterStep() {
    float[][] w = new float[2][];
    float[][] b = new float[2][];
    double[][] norms = new double[2][30];
    for (int v = 0; v < 2; v++) {
      try (Problem pb = new Problem(11, DataType.FLOAT32)) {
        GradientStep gs = pb.stepper(0.3).clipPerGroup(n -> n);
        gs.optimizer().multiTensor(v == 0);
        Random r = new Random(111);
        for (int s = 0; s < 30; s++) {
          norms[v][s] = gs.run(2, micro -> pb.loss(r, N / 2)).gradNorm();
        }
        gs.optimizer().close();
        w[v] = pb.trainable.get("layers.0.W").toFloatArray();
        b[v] = pb.trainable.get("layers.0.b_O").toFloatArray();
      }
    }
    for (int s = 0; s < 30; s++) {
      assertEquals(norms[1][s], norms[0][s], 1e-5 * norms[1][s], "norm at step " + s);
    }
    assertTrue(norms[1][0] > 0.3, "the first steps clip");
    assertArrayEquals(w[1], w[0], 1e-5f);
    assertArrayEquals(b[1], b[0], 1e-5f);
  }

  /** Two micro-batches of N/2 accumulate to the gradient of one batch of N (loss scaled by 1/k). */
  @Test
  void accumulationScalesByOneOverK() {
    double[] norms = new double[2];
    for (int k = 1; k <= 2; k++) {
      try (Problem pb = new Problem(3, DataType.FLOAT64)) {
        GradientStep gs = pb.stepper(Double.POSITIVE_INFINITY);
        int kk = k;
        Random r = new Random(4); // same rows in the same order for both k
        StepOutcome res = gs.run(k, micro -> pb.loss(r, N / kk));
        norms[k - 1] = res.gradNorm();
        assertEquals(k, res.microBatches());
        gs.optimizer().close();
      }
    }
    assertTrue(norms[0] > 0.1);
    assertEquals(norms[0], norms[1], 1e-12 * norms[0]);
  }

  @Test
  void nonFiniteLossIsSkippedAndGradientsCleared() {
    try (Problem pb = new Problem(1, DataType.FLOAT32)) {
      GradientStep gs = pb.stepper(1.0);
      Random r = new Random(2);
      gs.run(1, micro -> pb.loss(r, N));
      gs.run(1, micro -> pb.loss(r, N));
      float[] before = pb.trainable.get("layers.0.W").toFloatArray();
      StepOutcome bad = gs.run(1, micro -> pb.loss(r, N).mul(Float.NaN));
      assertEquals(NonFinite.LOSS, bad.nonFinite());
      assertFalse(bad.applied());
      assertArrayEquals(
          before, pb.trainable.get("layers.0.W").toFloatArray(), 0f, "no update on a skipped step");
      assertEquals(2, gs.optimizer().steps());
      assertEquals(3, gs.position(), "the schedule moves on");
      assertGradientsZero(pb);
      StepOutcome good = gs.run(1, micro -> pb.loss(r, N));
      assertTrue(good.applied());
      assertTrue(Double.isFinite(good.gradNorm()));
      gs.optimizer().close();
    }
  }

  @Test
  void infiniteGradientWithFiniteLossIsSkipped() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray p = m.create(new float[] {0f, 4f});
      p.setRequiresGradient(true);
      Map<String, NDArray> t = Map.of("p", p);
      try (AdamW opt = new AdamW(t, AdamWConfig.mmMamba(), WeightDecay.all())) {
        GradientStep gs = new GradientStep(t, opt, new LrSchedule.Constant(0.1, 0), 1.0);
        StepOutcome res = gs.run(1, micro -> p.sqrt().sum()); // d√p/dp = ∞ at p = 0
        assertEquals(2.0, res.loss(), 1e-6);
        assertEquals(NonFinite.GRAD_NORM, res.nonFinite());
        assertArrayEquals(new float[] {0f, 4f}, p.toFloatArray(), 0f);
        try (NDArray g = Gradients.of(p)) {
          assertArrayEquals(new float[] {0f, 0f}, g.toFloatArray(), 0f, "grad.zero_() clears Inf");
        }
      }
    }
  }

  @Test
  void exceptionInTheLossLeavesCleanState() {
    try (Problem pb = new Problem(1, DataType.FLOAT32)) {
      GradientStep gs = pb.stepper(1.0);
      Random r = new Random(2);
      int live = LiveArrays.count();
      assertThrows(
          IllegalStateException.class,
          () ->
              gs.run(
                  2,
                  micro -> {
                    if (micro == 1) {
                      throw new IllegalStateException("boom");
                    }
                    return pb.loss(r, N / 2);
                  }));
      assertEquals(0, gs.position());
      assertEquals(live, LiveArrays.count());
      assertGradientsZero(pb);
      // the collector was closed: a new step can open one
      assertTrue(gs.run(1, micro -> pb.loss(r, N)).applied());
      assertThrows(
          IllegalArgumentException.class,
          () -> gs.run(1, micro -> pb.trainable.get("layers.0.b_O")));
      gs.optimizer().close();
    }
  }

  @Test
  void rejectsMisconfiguration() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray p = m.create(new float[] {1f});
      Map<String, NDArray> t = Map.of("p", p);
      try (AdamW opt = new AdamW(t, AdamWConfig.mmMamba(), WeightDecay.all())) {
        LrSchedule s = new LrSchedule.Constant(0.1, 0);
        assertThrows(
            IllegalArgumentException.class,
            () -> new GradientStep(t, opt, s, 1.0),
            "no requiresGrad");
        p.setRequiresGradient(true);
        assertThrows(IllegalArgumentException.class, () -> new GradientStep(t, opt, s, 0.0));
        assertThrows(
            IllegalArgumentException.class, () -> new GradientStep(Map.of("q", p), opt, s, 1.0));
        GradientStep gs = new GradientStep(t, opt, s, 1.0);
        assertThrows(IllegalArgumentException.class, () -> gs.run(0, micro -> p.sum()));
      }
    }
  }

  private static void assertGradientsZero(Problem pb) {
    for (NDArray p : pb.trainable.values()) {
      try (NDArray g = Gradients.of(p)) {
        for (float v : g.toFloatArray()) {
          assertEquals(0f, v);
        }
      }
    }
  }
}
