package org.mmmamba.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mmmamba.core.Fixtures;
import org.mmmamba.core.Offline;
import org.mmmamba.core.generate.GenerationConfig;
import org.mmmamba.core.generate.Generator;

/**
 * Java logits and greedy generations against HF transformers' own (float64) on tiny random
 * checkpoints of every supported family (fixtures made on the device machine by
 * scripts/fixtures/make_hf_fixtures.py).
 */
class HfConformanceTest {
  static {
    Offline.init();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "llama_gqa",
        "llama_headdim",
        "qwen2_tied",
        "internlm2_packed",
        "llama_for_internlm2",
        "mamba2",
        "mamba2_ngroups1"
      })
  void logitsMatchTransformers(String name) {
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel model = ModelIo.load(Fixtures.dir(name), m, DataType.FLOAT64)) {
      NDArray logits = model.forward(model.ids(m, Fixtures.inputs(name)));
      double err = Fixtures.relError(logits.toDoubleArray(), Fixtures.expectedLogits(name));
      assertTrue(err < 1e-4, name + ": max abs error relative to max logit = " + err);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "llama_gqa",
        "llama_headdim",
        "qwen2_tied",
        "internlm2_packed",
        "mamba2",
        "mamba2_ngroups1"
      })
  void greedyGenerationMatchesTransformers(String name) {
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel model = ModelIo.load(Fixtures.dir(name), m, DataType.FLOAT64)) {
      long[][] got =
          Generator.generate(
              model,
              Fixtures.inputs(name),
              GenerationConfig.greedy(Fixtures.greedyNewTokens(name)));
      long[][] want = Fixtures.greedy(name);
      for (int i = 0; i < want.length; i++) {
        assertArrayEquals(want[i], got[i], name + " row " + i);
      }
    }
  }
}
