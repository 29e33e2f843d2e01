package org.mmmamba.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.VlmFixtures;

/** config.json of vision-language models: exact round trips, and errors that name the bad key. */
class VlmConfigsTest {
  @TempDir Path tmp;

  private VlmConfig roundTrip(VlmConfig c) throws Exception {
    Path f = tmp.resolve("config.json");
    Files.writeString(f, VlmConfigs.toJsonString(c));
    return VlmConfigs.read(tmp);
  }

  @Test
  void teacherRoundTrips() throws Exception {
    VlmConfig c =
        VlmFixtures.tiny(
            VlmFixtures.teacher().stack().layerKinds(),
            new RopeScaling(RopeScaling.Type.DYNAMIC, 2.0, 64));
    assertEquals(c, roundTrip(c));
    assertTrue(VlmConfigs.isVlm(tmp));
  }

  @Test
  void hybridRoundTripsWithMambaInEitherPart() throws Exception {
    VlmConfig both = VlmFixtures.hybrid();
    assertEquals(both, roundTrip(both));
    VlmConfig llmOnly =
        VlmFixtures.tiny(
            List.of(
                LayerKind.ATTENTION, LayerKind.ATTENTION, LayerKind.MAMBA2, LayerKind.ATTENTION),
            RopeScaling.none());
    VlmConfig back = roundTrip(llmOnly);
    assertEquals(llmOnly, back);
    assertEquals(ModelFamily.MMMAMBA, back.stack().family());
    ObjectNode j = VlmConfigs.toJson(llmOnly);
    assertEquals("internlm2", j.get("embedding_config").get("model_type").asText());
    assertEquals("mmmamba", j.get("llm_config").get("model_type").asText());
    assertEquals("[\"mamba2\",\"mha\"]", j.get("llm_config").get("layers_block_type").toString());
  }

  @Test
  void familyIsNormalised() {
    VlmConfig c = VlmFixtures.teacher();
    VlmConfig asMm = c.withStack(c.stack().withFamily(ModelFamily.MMMAMBA));
    assertEquals(ModelFamily.INTERNLM2, asMm.stack().family());
  }

  @Test
  void tokensPerTile() {
    VlmConfig c = VlmFixtures.teacher();
    assertEquals(4, c.tokensPerTile());
    assertEquals(9, c.tokensPerTile(24));
    assertEquals(256, new VlmConfig(448, 14, 3, 0.5, 2, c.stack(), 5, 3, 4).tokensPerTile());
  }

  private void assertBadJson(Consumer<ObjectNode> edit, String... mustContain) throws Exception {
    ObjectNode j = VlmConfigs.toJson(VlmFixtures.hybrid());
    edit.accept(j);
    Files.writeString(tmp.resolve("config.json"), j.toString());
    BadInputException e = assertThrows(BadInputException.class, () -> VlmConfigs.read(tmp));
    for (String s : mustContain) {
      assertTrue(e.getMessage().contains(s), e.getMessage() + " should contain " + s);
    }
  }

  @Test
  void partsMustAgree() throws Exception {
    assertBadJson(
        j -> ((ObjectNode) j.get("llm_config")).put("hidden_size", 24),
        "hidden_size",
        "embedding_config");
    assertBadJson(
        j -> ((ObjectNode) j.get("embedding_config")).put("rope_theta", 5e5), "rope_theta");
    assertBadJson(
        j -> ((ObjectNode) j.get("embedding_config")).put("num_key_value_heads", 2),
        "num_key_value_heads");
    assertBadJson(j -> ((ObjectNode) j.get("llm_config")).put("d_conv", 4), "d_conv");
    assertBadJson(j -> ((ObjectNode) j.get("llm_config")).put("vocab_size", 41), "vocab_size");
  }

  @Test
  void badTopLevelKeysAreNamed() throws Exception {
    assertBadJson(j -> j.put("num_embedding_layers", 3), "num_embedding_layers");
    assertBadJson(j -> j.remove("vision"), "'vision'");
    assertBadJson(j -> j.put("model_type", "internvl_chat"), "model_type");
    assertBadJson(j -> j.remove("img_context_token_id"), "img_context_token_id");
    assertBadJson(
        j -> ((ObjectNode) j.get("vision")).put("patch_size", 3),
        "vision.image_size",
        "vision.patch_size");
    assertBadJson(
        j -> ((ObjectNode) j.get("vision")).put("downsample_ratio", 0.25),
        "vision.downsample_ratio");
    assertBadJson(j -> j.put("img_end_token_id", 40), "img_end_token_id");
    assertBadJson(
        j -> ((ObjectNode) j.get("embedding_config")).put("model_type", "llama"),
        "embedding_config",
        "model_type");
  }

  @Test
  void validateNamesTheField() {
    DecoderConfig s = VlmFixtures.teacher().stack();
    assertBad(new VlmConfig(12, 4, 3, 0.5, 2, s, 5, 3, 4), "patches per side must be even");
    assertBad(new VlmConfig(16, 4, 3, 1.0, 2, s, 5, 3, 4), "vision.downsample_ratio");
    assertBad(new VlmConfig(16, 4, 0, 0.5, 2, s, 5, 3, 4), "vision.num_channels");
    assertBad(new VlmConfig(16, 4, 3, 0.5, 4, s, 5, 3, 4), "num_embedding_layers");
    assertBad(new VlmConfig(16, 4, 3, 0.5, 2, s, -1, 3, 4), "img_context_token_id");
    assertBad(new VlmConfig(16, 4, 3, 0.5, 2, s, 5, 5, 4), "must differ");
    DecoderConfig tied =
        new DecoderConfig(
            s.family(),
            s.vocabSize(),
            s.hiddenSize(),
            s.numLayers(),
            s.numHeads(),
            s.numKvHeads(),
            s.headDim(),
            s.intermediateSize(),
            s.rmsNormEps(),
            s.ropeTheta(),
            s.ropeScaling(),
            s.maxPositionEmbeddings(),
            true,
            false,
            false,
            null,
            s.layerKinds(),
            true,
            null,
            List.of(),
            null);
    assertBad(new VlmConfig(16, 4, 3, 0.5, 2, tied, 5, 3, 4), "tie_word_embeddings");
    assertBad(
        new VlmConfig(16, 4, 3, 0.5, 2, s.withFamily(ModelFamily.LLAMA), 5, 3, 4), "InternLM2");
  }

  private static void assertBad(VlmConfig c, String mustContain) {
    BadInputException e = assertThrows(BadInputException.class, () -> c.validate("cfg"));
    assertTrue(e.getMessage().contains(mustContain), e.getMessage());
  }
}
