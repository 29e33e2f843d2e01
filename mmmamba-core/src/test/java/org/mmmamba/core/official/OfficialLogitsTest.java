package org.mmmamba.core.official;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.LayerKind;
import org.mmmamba.core.config.VlmConfig;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.model.VlmIo;

/**
 * Published-format HoVLE and released mmMamba students (BF16, sharded with an index or single-file)
 * loaded as they are: text and image+question logits equal the official hustvl/mmMamba forward
 * (float64) within 1e-4.
 */
class OfficialLogitsTest {
  static {
    Offline.init();
  }

  @ParameterizedTest
  @ValueSource(strings = {"hovle", "mmmamba_linear", "mmmamba_hybrid"})
  void textAndImageLogitsMatchTheOfficialForward(String name) {
    JsonNode ref = OfficialFixtures.reference(name);
    try (NDManager m = NDManager.newBaseManager();
        VisionLanguageModel model = VlmIo.load(OfficialFixtures.model(name), m, DataType.FLOAT64)) {
      long[] text = OfficialFixtures.longs(ref.get("ids_text"));
      NDArray lt = model.forward(model.ids(m, new long[][] {text}), null);
      double et =
          OfficialFixtures.maxAbsDiff(lt.toDoubleArray(), OfficialFixtures.logits(name, "text"));
      assertTrue(et < 1e-4, name + " text logits: max abs diff " + et);

      long[] img = OfficialFixtures.longs(ref.get("ids_image"));
      int tiles = ref.get("tiles").asInt();
      int s = model.config().imageSize();
      NDArray px =
          m.create(OfficialFixtures.pixelValues(), new Shape(tiles, 3, s, s))
              .toType(DataType.FLOAT64, false);
      NDArray li = model.forward(model.ids(m, new long[][] {img}), List.of(px));
      double ei =
          OfficialFixtures.maxAbsDiff(li.toDoubleArray(), OfficialFixtures.logits(name, "image"));
      assertTrue(ei < 1e-4, name + " image logits: max abs diff " + ei);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"mmmamba_linear", "mmmamba_hybrid"})
  void studentLayerKindsFollowLayersBlockTypeWithGlobalIndexJPlus8(String name) {
    VlmConfig c = VlmIo.readConfig(OfficialFixtures.model(name));
    assertEquals(8, c.numEmbeddingLayers());
    assertEquals(32, c.stack().numLayers());
    for (int g = 0; g < 32; g++) {
      boolean mha = name.equals("mmmamba_hybrid") && g % 4 == 0;
      assertEquals(mha ? LayerKind.ATTENTION : LayerKind.MAMBA2, c.stack().kind(g), "layer " + g);
    }
    assertNotNull(c.embeddingDims());
  }
}
