package org.mmmamba.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Fixtures;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.LayerKind;
import org.mmmamba.core.config.ModelFamily;
import org.mmmamba.core.generate.GenerationConfig;
import org.mmmamba.core.generate.Generator;

/**
 * The mmMamba student against an independent reference: scripts/fixtures/make_mmmamba_fixture.py
 * writes a hybrid student (layers 0, 2 attention run by HF's LlamaAttention; layers 1, 3 Mamba-2
 * mixers with random non-trivial new parameters, computed with a naive float64 recurrence in plain
 * PyTorch) in the released mmMamba layout.
 */
class MmMambaConformanceTest {
  static {
    Offline.init();
  }

  private static final String NAME = "mmmamba_hybrid";

  @Test
  void loadsTheReleasedLayout() {
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel model = ModelIo.load(Fixtures.dir(NAME), m, DataType.FLOAT32)) {
      assertEquals(ModelFamily.MMMAMBA, model.config().family());
      assertEquals(
          List.of(LayerKind.ATTENTION, LayerKind.MAMBA2, LayerKind.ATTENTION, LayerKind.MAMBA2),
          model.config().layerKinds());
      assertEquals(2, model.config().mamba().convKernel());
      assertEquals(8, model.config().mamba().chunkSize());
    }
  }

  @Test
  void logitsMatchTheReference() {
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel model = ModelIo.load(Fixtures.dir(NAME), m, DataType.FLOAT64)) {
      NDArray logits = model.forward(model.ids(m, Fixtures.inputs(NAME)));
      double err = Fixtures.relError(logits.toDoubleArray(), Fixtures.expectedLogits(NAME));
      assertTrue(err < 1e-4, "max abs error relative to max logit = " + err);
    }
  }

  @Test
  void greedyGenerationMatchesTheReference() {
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel model = ModelIo.load(Fixtures.dir(NAME), m, DataType.FLOAT64)) {
      long[][] got =
          Generator.generate(
              model,
              Fixtures.inputs(NAME),
              GenerationConfig.greedy(Fixtures.greedyNewTokens(NAME)));
      long[][] want = Fixtures.greedy(NAME);
      for (int i = 0; i < want.length; i++) {
        assertArrayEquals(want[i], got[i], "row " + i);
      }
    }
  }

  @Test
  void decodeEqualsFullForward() {
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel model = ModelIo.load(Fixtures.dir(NAME), m, DataType.FLOAT64)) {
      CacheConsistencyTest.assertDecodeMatches(model, m, Fixtures.inputs(NAME), 11);
    }
  }
}
