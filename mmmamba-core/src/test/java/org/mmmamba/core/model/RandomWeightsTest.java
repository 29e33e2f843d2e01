package org.mmmamba.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.DecoderConfig;

/**
 * Random weights: deterministic per seed, and nothing but the weights stays alive in their manager.
 */
class RandomWeightsTest {
  static {
    Offline.init();
  }

  @Test
  void onlyTheWeightsAreKeptAndTheSeedFixesThem() {
    DecoderConfig c = DecoderConfig.llama(64, 32, 2, 4, 2, 8, 48);
    try (NDManager m = NDManager.newBaseManager();
        Weights a = RandomWeights.create(c, m, DataType.FLOAT32, 7, 0.02);
        Weights b = RandomWeights.create(c, m, DataType.FLOAT32, 7, 0.02)) {
      // The float64 arrays the values are drawn into must be closed once converted (they were not:
      // a model
      // kept twice its size alive in wide copies).
      assertEquals(
          RandomWeights.canonicalShapes(c).size(),
          ((BaseNDManager) a.manager()).getManagedArrays().size());
      for (String name : RandomWeights.canonicalShapes(c).keySet()) {
        NDArray x = a.get(name);
        assertEquals(DataType.FLOAT32, x.getDataType(), name);
        assertArrayEquals(x.toFloatArray(), b.get(name).toFloatArray(), name);
      }
    }
  }

  /**
   * The engine-drawn variant: the same tensors, shapes and dtype as {@link RandomWeights#create};
   * special tensors follow their rules; matrices are N(0, 0.02^2) (sample mean and std of ~30 K
   * values); nothing else stays alive.
   */
  @Test
  void engineVariantHasTheSameTensorsAndDistributions() {
    DecoderConfig t = DecoderConfig.llama(64, 32, 2, 4, 2, 8, 48);
    DecoderConfig c =
        t.withLayers(
            org.mmmamba.core.config.ModelFamily.MMMAMBA,
            java.util.List.of(
                org.mmmamba.core.config.LayerKind.ATTENTION,
                org.mmmamba.core.config.LayerKind.MAMBA2),
            org.mmmamba.core.config.Mamba2Config.mmMamba(4, 2, 8, 2, 8));
    try (NDManager m = NDManager.newBaseManager();
        Weights ref = RandomWeights.create(c, m, DataType.FLOAT32, 7, 0.02);
        Weights w = RandomWeights.createOnEngine(c, m, DataType.FLOAT32, 7, 0.02)) {
      assertEquals(ref.names(), w.names());
      assertEquals(
          RandomWeights.canonicalShapes(c).size(),
          ((BaseNDManager) w.manager()).getManagedArrays().size());
      int matrices = 0;
      for (String name : ref.names()) {
        NDArray x = w.get(name);
        assertEquals(ref.get(name).getShape(), x.getShape(), name);
        assertEquals(DataType.FLOAT32, x.getDataType(), name);
        float[] v = x.toFloatArray();
        if (name.endsWith("norm.weight") || name.endsWith("mamba.D")) {
          for (float f : v) {
            assertEquals(1f, f, 0f, name);
          }
        } else if (name.endsWith("A_log")) {
          for (float f : v) {
            org.junit.jupiter.api.Assertions.assertTrue(f >= 0 && f <= Math.log(16) + 1e-6, name);
          }
        } else if (!RandomWeights.special(name) && v.length >= 1024) {
          matrices++;
          double mean = 0;
          for (float f : v) {
            mean += f / (double) v.length;
          }
          double var = 0;
          for (float f : v) {
            var += (f - mean) * (f - mean) / v.length;
          }
          assertEquals(0.0, mean, 5 * 0.02 / Math.sqrt(v.length), name + " mean");
          assertEquals(0.02, Math.sqrt(var), 0.002, name + " std");
        }
      }
      org.junit.jupiter.api.Assertions.assertTrue(matrices >= 8, "matrices checked: " + matrices);
    }
  }
}
