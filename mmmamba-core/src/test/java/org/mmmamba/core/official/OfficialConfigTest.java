package org.mmmamba.core.official;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.config.InternVlChatConfigs;
import org.mmmamba.core.config.JsonFields;
import org.mmmamba.core.config.RopeScaling;
import org.mmmamba.core.config.VlmConfig;

/**
 * The published config.json: both transformers spellings, each part's own settings, and clear
 * refusals.
 */
class OfficialConfigTest {
  static ObjectNode hovle() {
    return (ObjectNode)
        OfficialFixtures.json(OfficialFixtures.model("hovle").resolve("config.json"));
  }

  static VlmConfig parse(ObjectNode o) {
    return InternVlChatConfigs.parse(
        new JsonFields(o, "config.json"), OfficialFixtures.tokenizer());
  }

  @Test
  void eachPartKeepsItsOwnSettings() {
    VlmConfig c = parse(hovle());
    assertEquals(1_000_000.0, c.stack().ropeTheta());
    assertEquals(RopeScaling.Type.DYNAMIC, c.stack().ropeScaling().type());
    assertEquals(1, c.stack().numKvHeads());
    assertEquals(10_000.0, c.layerDims(0).ropeTheta());
    assertEquals(RopeScaling.Type.NONE, c.layerDims(7).ropeScaling().type());
    assertEquals(2, c.layerDims(7).numKvHeads());
    assertEquals(48, c.layerDims(7).intermediateSize());
    assertEquals(64, c.layerDims(8).intermediateSize());
    assertEquals(480, c.imgStartTokenId());
    assertEquals(481, c.imgEndTokenId());
    assertEquals(482, c.imgContextTokenId());
  }

  @Test
  void transformers5SpellingReadsTheSame() {
    ObjectNode o = hovle();
    o.set("dtype", o.remove("torch_dtype"));
    ObjectNode llm = (ObjectNode) o.get("llm_config");
    ObjectNode rp = llm.putObject("rope_parameters");
    rp.put("rope_type", "dynamic");
    rp.put("factor", 2.0);
    rp.put("rope_theta", llm.get("rope_theta").asDouble());
    llm.remove("rope_scaling");
    llm.remove("rope_theta");
    ObjectNode emb = (ObjectNode) o.get("embedding_config");
    emb.putObject("rope_parameters")
        .put("rope_type", "default")
        .put("rope_theta", emb.get("rope_theta").asDouble());
    emb.remove("rope_theta");
    assertEquals(parse(hovle()), parse(o));
    llm.with("rope_parameters").put("rope_theta", 5.0);
    assertNotEquals(parse(hovle()), parse(o));
  }

  @Test
  void unsupportedOptionsAreRefusedByName() {
    ObjectNode a = hovle();
    ((ObjectNode) a.get("embedding_config")).putObject("special_token_maps").put("<img>", 0);
    BadInputException e = assertThrows(BadInputException.class, () -> parse(a));
    assertTrue(e.getMessage().contains("special_token_maps"), e.getMessage());
    ObjectNode b = hovle();
    b.put("normalize_encoder_output", true);
    assertTrue(
        assertThrows(BadInputException.class, () -> parse(b))
            .getMessage()
            .contains("normalize_encoder_output"));
    ObjectNode c = hovle();
    ((ObjectNode) c.get("embedding_config")).put("pixel_shuffle_loc", "post");
    assertTrue(
        assertThrows(BadInputException.class, () -> parse(c))
            .getMessage()
            .contains("pixel_shuffle_loc"));
    ObjectNode d = hovle();
    d.put("model_type", "hovle2");
    assertTrue(
        assertThrows(BadInputException.class, () -> parse(d)).getMessage().contains("model_type"));
  }
}
