package org.mmmamba.distill.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;
import org.mmmamba.distill.optim.AdamW;
import org.mmmamba.distill.optim.AdamWConfig;
import org.mmmamba.distill.optim.LrSchedule;
import org.mmmamba.distill.optim.NonFinite;
import org.mmmamba.distill.optim.WeightDecay;
import org.mmmamba.distill.precision.LossScaler;
import org.mmmamba.distill.precision.MasterWeights;

/**
 * fp16-mixed training on the tiny regression of {@link GradientStepTest}: float16 model arrays,
 * float32 masters updated by AdamW, dynamic loss scaling. Checked against a float32 twin trained on
 * the same rows.
 */
class MixedPrecisionTest {
  static {
    Offline.init();
  }

  private static LrSchedule schedule() {
    return LrSchedule.Wsd.of(0.05, 10, 150, 40);
  }

  /**
   * Mixed precision through the fused path (the float16 gradients flattened once, unscaled into
   * float32 as one vector, {@code AdamW.stepFlat}) and through the per-parameter path: without
   * clipping every step is elementwise, so masters, model arrays and loss scales are bitwise equal.
   */
  @Test
  void fusedUnscaleAndUpdateEqualThePerParameterPathBitwise() {
    // 0: fused; 1: per parameter (the twin); 2: fused with the masters' flat buffer updated whole.
    float[][] masters = new float[3][];
    float[][] model = new float[3][];
    double[] scales = new double[3];
    for (int v = 0; v < 3; v++) {
      try (GradientStepTest.Problem half = new GradientStepTest.Problem(3, DataType.FLOAT16);
          MasterWeights mw = new MasterWeights(half.trainable);
          AdamW opt =
              new AdamW(mw.masters(), AdamWConfig.mmMamba(), WeightDecay.official())
                  .multiTensor(v != 1)) {
        if (v == 2) {
          opt.parametersFlat(mw.flat());
        }
        LossScaler scaler = new LossScaler(1024, 2.0, 0.5, 7);
        GradientStep gs =
            new GradientStep(half.trainable, opt, schedule(), Double.POSITIVE_INFINITY)
                .mixedPrecision(mw, scaler);
        Random r = new Random(4);
        for (int s = 0; s < 30; s++) {
          gs.run(2, micro -> half.loss(r, GradientStepTest.N / 2));
        }
        masters[v] = mw.masters().get("layers.0.W").toFloatArray();
        model[v] = half.trainable.get("layers.0.W").toType(DataType.FLOAT32, false).toFloatArray();
        scales[v] = scaler.scale();
      }
    }
    for (int v : new int[] {0, 2}) {
      assertArrayEquals(masters[1], masters[v], 0f, "masters, variant " + v);
      assertArrayEquals(model[1], model[v], 0f, "model, variant " + v);
      assertEquals(scales[1], scales[v]);
    }
  }

  @Test
  void mastersAreViewsOfTheirFlatBuffer() {
    try (GradientStepTest.Problem half = new GradientStepTest.Problem(3, DataType.FLOAT16);
        MasterWeights mw = new MasterWeights(half.trainable)) {
      long offset = 0;
      for (Map.Entry<String, NDArray> e : mw.masters().entrySet()) {
        NDArray model = half.trainable.get(e.getKey());
        long n = model.getShape().size();
        assertEquals(model.getShape(), e.getValue().getShape());
        float[] want = model.toType(DataType.FLOAT32, false).toFloatArray();
        assertArrayEquals(want, e.getValue().toFloatArray(), 0f, e.getKey());
        assertArrayEquals(
            want, mw.flat().get("{}:{}", offset, offset + n).toFloatArray(), 0f, e.getKey());
        offset += n;
      }
      assertEquals(offset, mw.flat().getShape().size());
      // Writing the buffer writes the masters (they share its storage), not the model.
      mw.flat().muli(2);
      for (Map.Entry<String, NDArray> e : mw.masters().entrySet()) {
        float[] model =
            half.trainable.get(e.getKey()).toType(DataType.FLOAT32, false).toFloatArray();
        float[] master = e.getValue().toFloatArray();
        for (int i = 0; i < model.length; i++) {
          assertEquals(2 * model[i], master[i], 0f, e.getKey() + "[" + i + "]");
        }
      }
    }
  }

  @Test
  void mastersStayFloat32AndTrackTheFloat32Twin() {
    try (GradientStepTest.Problem half = new GradientStepTest.Problem(1, DataType.FLOAT16);
        GradientStepTest.Problem full = new GradientStepTest.Problem(1, DataType.FLOAT32);
        MasterWeights mw = new MasterWeights(half.trainable);
        AdamW opt = new AdamW(mw.masters(), AdamWConfig.mmMamba(), WeightDecay.official());
        AdamW optFull = new AdamW(full.trainable, AdamWConfig.mmMamba(), WeightDecay.official())) {
      // The twin starts from the same (float16-rounded) weights.
      for (String n : full.trainable.keySet()) {
        full.trainable.get(n).set(new ai.djl.ndarray.index.NDIndex("..."), mw.masters().get(n));
      }
      LossScaler scaler = new LossScaler(1024, 2.0, 0.5, 20);
      GradientStep gs =
          new GradientStep(half.trainable, opt, schedule(), 1.0).mixedPrecision(mw, scaler);
      GradientStep gsFull = new GradientStep(full.trainable, optFull, schedule(), 1.0);
      Random r1 = new Random(2);
      Random r2 = new Random(2);
      double lastHalf = 0;
      double lastFull = 0;
      double first = 0;
      for (int s = 0; s < 200; s++) {
        StepOutcome a = gs.run(2, micro -> half.loss(r1, GradientStepTest.N / 2));
        StepOutcome b = gsFull.run(2, micro -> full.loss(r2, GradientStepTest.N / 2));
        assertTrue(
            a.applied(), "step " + s + " of the mixed run skipped (scale " + scaler.scale() + ")");
        if (s == 0) {
          first = b.loss();
        }
        lastHalf = a.loss();
        lastFull = b.loss();
      }
      assertEquals(0, scaler.skipped());
      assertEquals(
          1024.0 * 1024, scaler.scale(), "10 growths of x2 in 200 finite steps at interval 20");
      for (Map.Entry<String, NDArray> e : mw.masters().entrySet()) {
        assertEquals(DataType.FLOAT32, e.getValue().getDataType(), e.getKey() + " master");
        assertEquals(DataType.FLOAT32, opt.m(e.getKey()).getDataType(), e.getKey() + " AdamW m");
        assertEquals(DataType.FLOAT32, opt.v(e.getKey()).getDataType(), e.getKey() + " AdamW v");
        NDArray model = half.trainable.get(e.getKey());
        assertEquals(DataType.FLOAT16, model.getDataType(), e.getKey() + " model array");
        assertArrayEquals(
            e.getValue()
                .toType(DataType.FLOAT16, false)
                .toType(DataType.FLOAT32, false)
                .toFloatArray(),
            model.toType(DataType.FLOAT32, false).toFloatArray(),
            0f,
            e.getKey() + ": model = fp16(master)");
        float[] m = e.getValue().toFloatArray();
        float[] f = full.trainable.get(e.getKey()).toFloatArray();
        for (int i = 0; i < m.length; i++) {
          assertEquals(
              f[i],
              m[i],
              0.02 + 0.01 * Math.abs(f[i]),
              e.getKey() + "[" + i + "] vs the fp32 twin");
        }
      }
      assertTrue(lastFull < 0.01 * first, "fp32 twin learns: " + first + " -> " + lastFull);
      // float16 inputs and predictions bound the loss at ~1e-3 relative to the targets' scale.
      assertTrue(
          lastHalf < 0.02 * first, "mixed learns like the twin: " + lastHalf + " vs " + lastFull);
    }
  }

  @Test
  void overflowIsSkippedBackedOffAndCounted() {
    try (GradientStepTest.Problem half = new GradientStepTest.Problem(1, DataType.FLOAT16);
        MasterWeights mw = new MasterWeights(half.trainable);
        AdamW opt = new AdamW(mw.masters(), AdamWConfig.mmMamba(), WeightDecay.official())) {
      // 2^40 times a gradient of order 1 is far beyond float16's 65504: the first steps overflow.
      LossScaler scaler = new LossScaler(Math.pow(2, 40), 2.0, 0.5, 1000);
      GradientStep gs =
          new GradientStep(half.trainable, opt, LrSchedule.Wsd.of(0.05, 0, 100, 0), 1.0)
              .mixedPrecision(mw, scaler);
      Random r = new Random(2);
      float[] before = mw.masters().get("layers.0.W").toFloatArray();
      int skipped = 0;
      StepOutcome res;
      do {
        res = gs.run(1, micro -> half.loss(r, GradientStepTest.N));
        if (!res.applied()) {
          skipped++;
          assertEquals(NonFinite.GRAD_NORM, res.nonFinite(), "the loss itself is finite");
          assertTrue(Double.isFinite(res.loss()));
          assertArrayEquals(
              before,
              mw.masters().get("layers.0.W").toFloatArray(),
              0f,
              "no update while skipping");
          assertEquals(0, opt.steps());
          assertEquals(skipped, scaler.skippedInARow());
        }
      } while (!res.applied() && skipped < 60);
      assertTrue(res.applied(), "the scale backs off until the gradients fit");
      assertTrue(skipped >= 20, "2^40 needs at least 20 halvings below 2^20, got " + skipped);
      assertEquals(skipped, scaler.skipped());
      assertEquals(Math.pow(2, 40 - skipped), scaler.scale());
      assertEquals(0, scaler.skippedInARow());
      assertFalse(java.util.Arrays.equals(before, mw.masters().get("layers.0.W").toFloatArray()));
      assertEquals(1, opt.steps());
    }
  }
}
