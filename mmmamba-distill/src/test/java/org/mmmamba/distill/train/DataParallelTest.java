package org.mmmamba.distill.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mmmamba.core.Offline;
import org.mmmamba.distill.optim.AdamW;
import org.mmmamba.distill.optim.AdamWConfig;
import org.mmmamba.distill.optim.LrSchedule;
import org.mmmamba.distill.optim.WeightDecay;
import org.mmmamba.distill.precision.LossScaler;
import org.mmmamba.distill.precision.MasterWeights;

/**
 * Data-parallel steps ({@link DataParallel}) against the one-device step over the same
 * micro-batches, on the CPU: N replicas are N copies of the trainable arrays in N managers
 * (libtorch has one CPU device), each driven by its own thread. The reference is the plain {@link
 * GradientStep} on one copy; the micro-batches are fixed by (step, index), so both runs see the
 * same rows whatever replica computes them. The micro-batches have different sizes, so a split that
 * weighted them by anything but 1/k (e.g. averaging per replica) would move the result.
 */
class DataParallelTest {
  static {
    Offline.init();
  }

  static final int IN = 8;
  static final int OUT = 4;

  /** y = W x + b on (rows, IN) inputs, a fixed true map; one set of arrays per replica. */
  static final class Regression implements AutoCloseable {
    final List<NDManager> managers = new ArrayList<>();
    final List<Map<String, NDArray>> replicas = new ArrayList<>();
    final float[] wTrue = new float[OUT * IN];
    final DataType dt;

    Regression(int n, DataType dt) {
      this.dt = dt;
      Random r = new Random(11);
      for (int i = 0; i < wTrue.length; i++) {
        wTrue[i] = (float) r.nextGaussian();
      }
      float[] w0 = new float[OUT * IN];
      for (int i = 0; i < w0.length; i++) {
        w0[i] = (float) (0.1 * r.nextGaussian());
      }
      for (int k = 0; k < n; k++) {
        NDManager m = NDManager.newBaseManager();
        managers.add(m);
        NDArray w = m.create(w0, new Shape(OUT, IN)).toType(dt, false);
        NDArray b = m.zeros(new Shape(OUT), dt);
        w.setRequiresGradient(true);
        b.setRequiresGradient(true);
        Map<String, NDArray> t = new LinkedHashMap<>();
        t.put("layers.0.W", w);
        t.put("layers.0.b_O", b);
        replicas.add(t);
      }
    }

    /** Micro-batch {@code i} of step {@code step}: 2 + (i % 3) * 3 rows, fixed by (step, i). */
    NDArray loss(int replica, long step, int i) {
      Random r = new Random(1000 * step + i);
      int rows = 2 + (i % 3) * 3;
      float[] x = new float[rows * IN];
      float[] y = new float[rows * OUT];
      for (int k = 0; k < x.length; k++) {
        x[k] = (float) r.nextGaussian();
      }
      for (int n = 0; n < rows; n++) {
        for (int o = 0; o < OUT; o++) {
          double s = 0.5;
          for (int k = 0; k < IN; k++) {
            s += wTrue[o * IN + k] * x[n * IN + k];
          }
          y[n * OUT + o] = (float) s;
        }
      }
      NDManager m = managers.get(replica);
      Map<String, NDArray> t = replicas.get(replica);
      NDArray xs = m.create(x, new Shape(rows, IN)).toType(dt, false);
      NDArray ys = m.create(y, new Shape(rows, OUT)).toType(dt, false);
      NDArray pred = xs.matMul(t.get("layers.0.W").transpose()).add(t.get("layers.0.b_O"));
      return org.mmmamba.core.nn.Fp32.up(pred.sub(ys)).square().mean();
    }

    @Override
    public void close() {
      for (NDManager m : managers) {
        m.close();
      }
    }
  }

  private static LrSchedule schedule() {
    return LrSchedule.Wsd.of(0.05, 2, 10, 4);
  }

  /** Losses of each step, then W and b, of a run of {@code steps} steps on {@code n} replicas. */
  private record Trained(double[] losses, double[] norms, float[] w, float[] b, boolean equal) {}

  /** n = 0: the plain one-device step; n >= 1: data parallel over n replicas. */
  private static Trained train(int n, int k, int steps, double clip, Set<String> threadNames) {
    try (Regression pb = new Regression(Math.max(n, 1), DataType.FLOAT32);
        AdamW opt = new AdamW(pb.replicas.get(0), AdamWConfig.mmMamba(), WeightDecay.official())) {
      GradientStep gs = new GradientStep(pb.replicas.get(0), opt, schedule(), clip);
      DataParallel dp = n >= 1 ? new DataParallel(pb.replicas) : null;
      try {
        if (dp != null) {
          gs.dataParallel(dp);
        }
        double[] losses = new double[steps];
        double[] norms = new double[steps];
        for (int s = 0; s < steps; s++) {
          long step = s;
          StepOutcome o =
              gs.run(
                  k,
                  i -> {
                    int rep = dp == null ? 0 : dp.replicaOf(i);
                    if (threadNames != null) {
                      threadNames.add(rep + ":" + Thread.currentThread().getName());
                    }
                    return pb.loss(rep, step, i);
                  });
          assertTrue(o.applied());
          losses[s] = o.loss();
          norms[s] = o.gradNorm();
        }
        return new Trained(
            losses,
            norms,
            pb.replicas.get(0).get("layers.0.W").toFloatArray(),
            pb.replicas.get(0).get("layers.0.b_O").toFloatArray(),
            dp == null || dp.bitwiseEqual());
      } finally {
        if (dp != null) {
          dp.close();
        }
      }
    }
  }

  @ParameterizedTest(name = "N={0}, k={1}, clip={2}")
  @CsvSource({"2, 6, 100", "3, 6, 100", "3, 4, 100", "2, 6, 0.05", "3, 5, 0.05"})
  void nReplicasEqualOneDevice(int n, int k, double clip) {
    int steps = 8;
    Trained one = train(0, k, steps, clip, null);
    Set<String> threads = ConcurrentHashMap.newKeySet();
    Trained dp = train(n, k, steps, clip, threads);
    for (int s = 0; s < steps; s++) {
      assertEquals(
          one.losses[s], dp.losses[s], 1e-6 * Math.abs(one.losses[s]), "loss at step " + s);
      assertEquals(one.norms[s], dp.norms[s], 1e-5 * one.norms[s], "grad norm at step " + s);
    }
    assertArrayEquals(one.w, dp.w, 2e-6f, "W after " + steps + " steps");
    assertArrayEquals(one.b, dp.b, 2e-6f, "b after " + steps + " steps");
    assertTrue(dp.equal, "replicas bitwise equal after " + steps + " steps");
    assertTrue(one.losses[steps - 1] < one.losses[0], "it learns");
    // every replica ran on its own thread
    for (int r = 0; r < Math.min(n, k); r++) {
      assertTrue(threads.contains(r + ":mmmamba-dp-replica-" + r), threads.toString());
    }
    assertEquals(Math.min(n, k), threads.size(), threads.toString());
  }

  /** With one replica the data-parallel path is the one-device step, bit for bit. */
  @Test
  void oneReplicaIsTheOneDeviceStepBitwise() {
    Trained one = train(0, 3, 6, 0.05, null);
    Trained dp = train(1, 3, 6, 0.05, null);
    assertArrayEquals(one.losses, dp.losses, 0);
    assertArrayEquals(one.w, dp.w, 0f);
    assertArrayEquals(one.b, dp.b, 0f);
  }

  /**
   * fp16-mixed over two replicas: float16 replicas, float32 masters and AdamW on replica 0, loss
   * scaling; tracks the one-device fp16-mixed run and the replicas' float16 arrays stay equal.
   */
  @Test
  void mixedPrecisionOverTwoReplicas() {
    int steps = 8;
    int k = 4;
    float[][] result = new float[2][];
    double[] scales = new double[2];
    for (int n = 0; n <= 2; n += 2) {
      try (Regression pb = new Regression(Math.max(n, 1), DataType.FLOAT16);
          MasterWeights mw = new MasterWeights(pb.replicas.get(0));
          AdamW opt = new AdamW(mw.masters(), AdamWConfig.mmMamba(), WeightDecay.official())) {
        LossScaler scaler = new LossScaler(1024, 2.0, 0.5, 3);
        GradientStep gs =
            new GradientStep(pb.replicas.get(0), opt, schedule(), 1.0).mixedPrecision(mw, scaler);
        DataParallel dp = n > 0 ? new DataParallel(pb.replicas) : null;
        try {
          if (dp != null) {
            gs.dataParallel(dp);
          }
          for (int s = 0; s < steps; s++) {
            long step = s;
            assertTrue(
                gs.run(k, i -> pb.loss(dp == null ? 0 : dp.replicaOf(i), step, i)).applied());
          }
          if (dp != null) {
            assertTrue(dp.bitwiseEqual(), "float16 replicas equal");
            assertEquals(DataType.FLOAT16, dp.replica(1).get("layers.0.W").getDataType());
          }
          result[n / 2] = mw.masters().get("layers.0.W").toFloatArray();
          scales[n / 2] = scaler.scale();
        } finally {
          if (dp != null) {
            dp.close();
          }
        }
      }
    }
    assertEquals(scales[0], scales[1], "same loss-scale history");
    assertEquals(1024.0 * 4, scales[0], "grew twice in 8 finite steps at interval 3");
    // the float16 partial sums of two replicas round differently from one device's
    assertArrayEquals(result[0], result[1], 2e-3f, "masters vs the one-device fp16-mixed run");
  }

  @Test
  void aReplicaFailureLeavesCleanGradientsAndAUsableStep() {
    try (Regression pb = new Regression(2, DataType.FLOAT32);
        AdamW opt = new AdamW(pb.replicas.get(0), AdamWConfig.mmMamba(), WeightDecay.official());
        DataParallel dp = new DataParallel(pb.replicas)) {
      GradientStep gs = new GradientStep(pb.replicas.get(0), opt, schedule(), 1.0).dataParallel(dp);
      float[] before = pb.replicas.get(0).get("layers.0.W").toFloatArray();
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () ->
                  gs.run(
                      4,
                      i -> {
                        if (i == 3) {
                          throw new IllegalStateException("boom on replica 1");
                        }
                        return pb.loss(dp.replicaOf(i), 0, i);
                      }));
      assertEquals("boom on replica 1", e.getMessage());
      assertArrayEquals(before, pb.replicas.get(0).get("layers.0.W").toFloatArray(), 0f);
      for (Map<String, NDArray> rep : pb.replicas) {
        for (NDArray a : rep.values()) {
          try (NDArray g = Gradients.of(a)) {
            for (float v : g.toFloatArray()) {
              assertEquals(0f, v);
            }
          }
        }
      }
      assertTrue(gs.run(4, i -> pb.loss(dp.replicaOf(i), 1, i)).applied());
      assertTrue(dp.bitwiseEqual());
      assertTrue(dp.divergent().isEmpty());
      // a changed replica is reported
      pb.replicas.get(1).get("layers.0.b_O").set(new NDIndex("0"), 7f);
      assertEquals(List.of("layers.0.b_O@replica1"), dp.divergent());
      assertFalse(dp.bitwiseEqual());
    }
  }

  @Test
  void rejectsMismatchedReplicas() {
    try (Regression a = new Regression(2, DataType.FLOAT32);
        Regression h = new Regression(1, DataType.FLOAT16)) {
      assertThrows(
          IllegalArgumentException.class,
          () -> new DataParallel(List.of(a.replicas.get(0), h.replicas.get(0))),
          "dtype");
      assertThrows(
          IllegalArgumentException.class,
          () -> new DataParallel(List.of(a.replicas.get(0), a.replicas.get(0))),
          "same arrays twice");
      assertThrows(
          IllegalArgumentException.class,
          () ->
              new DataParallel(
                  List.of(a.replicas.get(0), Map.of("x", a.replicas.get(1).get("layers.0.W")))),
          "names");
      try (AdamW opt = new AdamW(a.replicas.get(1), AdamWConfig.mmMamba(), WeightDecay.official());
          DataParallel dp = new DataParallel(a.replicas)) {
        GradientStep gs = new GradientStep(a.replicas.get(1), opt, schedule(), 1.0);
        assertThrows(
            IllegalArgumentException.class,
            () -> gs.dataParallel(dp),
            "replica 0 must be the step's arrays");
      }
    }
  }
}
