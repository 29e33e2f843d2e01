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
}
