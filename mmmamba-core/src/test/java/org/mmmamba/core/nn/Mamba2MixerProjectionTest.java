package org.mmmamba.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.RandomWeights;
import org.mmmamba.core.seed.InitStrategy;
import org.mmmamba.core.seed.Seeder;

/**
 * The mixer's one-GEMM projection (training) against its slow twin, the five projections one by
 * one: the same x|B|C, gate and dt inputs, and the same gradients for the five weights, on a GQA
 * student (x, B and C of different widths).
 */
class Mamba2MixerProjectionTest {
  static {
    Offline.init();
  }

  @Test
  void oneGemmEqualsFiveProjectionsInValueAndGradient() {
    DecoderConfig tc = DecoderConfig.llama(11, 12, 2, 4, 2, 4, 8);
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel teacher =
            new DecoderModel(tc, RandomWeights.create(tc, m, DataType.FLOAT64, 7, 0.3));
        DecoderModel s =
            Seeder.seed(
                tc,
                teacher.weights(),
                HybridLayout.linear(),
                InitStrategy.INHERIT_MIMIC,
                8,
                2,
                4,
                m)) {
      Mamba2Mixer mixer = (Mamba2Mixer) s.layers().get(1).mixer();
      Mamba2Mixer.Params p = mixer.params();
      NDArray[] w = {p.wX(), p.wB(), p.wC(), p.wG(), p.wDt()};
      NDArray u = m.randomNormal(new Shape(2, 5, 12)).toType(DataType.FLOAT64, false);
      List<double[]> fused = run(m, mixer, w, u, true);
      List<double[]> each = run(m, mixer, w, u, false);
      assertEquals(each.size(), fused.size());
      for (int i = 0; i < each.size(); i++) {
        assertEquals(each.get(i).length, fused.get(i).length, "part " + i);
        for (int j = 0; j < each.get(i).length; j++) {
          assertEquals(each.get(i)[j], fused.get(i)[j], 1e-12, "part " + i + " at " + j);
        }
      }
      // outside autograd the five projections run as they are (no per-token weight copy)
      assertFalse(Fp32.recording());
      NDList plain = mixer.project(u);
      assertEquals(new Shape(2, 5, mixer.config().convChannels()), plain.get(0).getShape());
      // with a decode cache: one GEMM with the W_in the cache concatenated once, the same values
      try (MambaCache cache = (MambaCache) mixer.newCache(m, 2, 8, DataType.FLOAT64)) {
        NDList cached = mixer.project(u, cache);
        NDArray wIn = cache.inputWeight(() -> null);
        NDList again = mixer.project(u, cache);
        assertTrue(wIn == cache.inputWeight(() -> null), "concatenated once per cache");
        for (int i = 0; i < plain.size(); i++) {
          double[] a = plain.get(i).toDoubleArray();
          double[] b = cached.get(i).toDoubleArray();
          double[] c = again.get(i).toDoubleArray();
          assertEquals(a.length, b.length, "part " + i);
          for (int j = 0; j < a.length; j++) {
            assertEquals(a[j], b[j], 1e-12, "cached part " + i + " at " + j);
            assertEquals(b[j], c[j], 0.0, "second step, part " + i + " at " + j);
          }
        }
        assertEquals(
            new Shape(
                mixer.config().convChannels()
                    + p.wG().getShape().get(0)
                    + p.wDt().getShape().get(0),
                12),
            wIn.getShape());
      }
    }
  }

  /** Projections, then the gradients of the five weights of sum(projections * fixed noise). */
  private static List<double[]> run(
      NDManager m, Mamba2Mixer mixer, NDArray[] w, NDArray u, boolean fused) {
    for (NDArray a : w) {
      a.setRequiresGradient(true);
    }
    List<double[]> out = new ArrayList<>();
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      assertTrue(Fp32.recording());
      NDList proj = fused ? mixer.project(u) : mixer.projectEach(u);
      NDArray loss = null;
      long seed = 3;
      for (NDArray a : proj) {
        out.add(a.toDoubleArray());
        m.getEngine().setRandomSeed((int) seed++);
        NDArray noise = m.randomNormal(a.getShape()).toType(DataType.FLOAT64, false);
        NDArray term = a.mul(noise).sum();
        loss = loss == null ? term : loss.add(term);
      }
      gc.backward(loss);
    }
    for (NDArray a : w) {
      NDArray g = a.getGradient();
      out.add(g.toDoubleArray());
      g.muli(0); // gradients accumulate: the next run starts from zero
      a.setRequiresGradient(false);
    }
    return out;
  }
}
