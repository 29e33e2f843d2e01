package org.mmmamba.core.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Fixtures;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.RopeScaling;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.ModelIo;

/**
 * The length rule refuses only what no RoPE scaling makes valid. Reference: transformers' own
 * logits on the llama_headdim fixture (dynamic NTK, max_position_embeddings 16, a 21-token input,
 * greedy to 33 tokens).
 */
class InputLimitsTest {
  static {
    Offline.init();
  }

  @Test
  void dynamicNtkPastMaxPositionsIsAcceptedAndMatchesTransformers() {
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel model = ModelIo.load(Fixtures.dir("llama_headdim"), m, DataType.FLOAT64)) {
      DecoderConfig c = model.config();
      assertEquals(RopeScaling.Type.DYNAMIC, c.ropeScaling().type());
      assertEquals(16, c.maxPositionEmbeddings());
      long[][] ids = Fixtures.inputs("llama_headdim");
      assertTrue(ids[0].length > c.maxPositionEmbeddings());
      // the logits and generate commands check exactly this before running (no --max-length given)
      InputLimits.check("ids.json", c, ids, Fixtures.greedyNewTokens("llama_headdim"), 0);
      NDArray logits = model.forward(model.ids(m, ids));
      double err =
          Fixtures.relError(logits.toDoubleArray(), Fixtures.expectedLogits("llama_headdim"));
      assertTrue(err < 1e-4, "relative error " + err);
      // the same model without scaling stays refused past its 16 positions, naming the limit
      DecoderConfig plain = withScaling(c, RopeScaling.none());
      BadInputException e =
          assertThrows(
              BadInputException.class, () -> InputLimits.check("ids.json", plain, ids, 0, 0));
      assertTrue(
          e.getMessage().contains("limit of 16 tokens (max_position_embeddings"), e.getMessage());
      // an explicit --max-length still wins
      assertThrows(BadInputException.class, () -> InputLimits.check("ids.json", c, ids, 0, 20));
    }
  }

  @Test
  void linearScalingExtendsTheLimitByItsFactor() {
    DecoderConfig base = DecoderConfig.llama(50, 16, 2, 2, 1, 8, 32);
    DecoderConfig lin = withScaling(base, new RopeScaling(RopeScaling.Type.LINEAR, 2.0, 4096));
    assertEquals(8192, InputLimits.limit(lin, 0));
    assertEquals(4096, InputLimits.limit(base, 0));
    assertEquals(
        InputLimits.HARD_LIMIT,
        InputLimits.limit(
            withScaling(base, new RopeScaling(RopeScaling.Type.DYNAMIC, 2.0, 4096)), 0));
    BadInputException e =
        assertThrows(
            BadInputException.class,
            () -> InputLimits.check("x", lin, new long[][] {new long[8193]}, 0, 0));
    assertTrue(
        e.getMessage().contains("limit of 8192 tokens (linear rope scaling"), e.getMessage());
  }

  private static DecoderConfig withScaling(DecoderConfig c, RopeScaling r) {
    return new DecoderConfig(
        c.family(),
        c.vocabSize(),
        c.hiddenSize(),
        c.numLayers(),
        c.numHeads(),
        c.numKvHeads(),
        c.headDim(),
        c.intermediateSize(),
        c.rmsNormEps(),
        c.ropeTheta(),
        r,
        c.maxPositionEmbeddings(),
        c.tieWordEmbeddings(),
        c.qkvBias(),
        c.oBias(),
        c.mamba(),
        c.layerKinds(),
        c.hasMlp(),
        c.bosTokenId(),
        c.eosTokenIds(),
        c.padTokenId());
  }
}
