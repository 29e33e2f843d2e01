package org.mmmamba.core.official;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mmmamba.core.Offline;
import org.mmmamba.core.api.VlmChat;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.model.VlmIo;

/**
 * The chat path against the official {@code chat()} (template, default system message, tokenizer,
 * dynamic tiling + thumbnail, preprocessing) and its no-cache greedy decoding: same prompt ids,
 * pixels close to PIL's, and the same greedy tokens from the cached decode.
 */
class OfficialChatTest {
  static {
    Offline.init();
  }

  /** A model folder with the tokenizer files beside it, as a downloaded checkpoint has them. */
  static Path withTokenizer(String name, Path tmp) throws Exception {
    Path d = tmp.resolve(name);
    Files.createDirectories(d);
    for (Path p : Files.list(OfficialFixtures.model(name)).toList()) {
      Files.copy(p, d.resolve(p.getFileName()));
    }
    for (Path p : Files.list(OfficialFixtures.tokenizer()).toList()) {
      Files.copy(p, d.resolve(p.getFileName()));
    }
    return d;
  }

  @Test
  void promptIdsAndPixelsEqualTheOfficialChat(@TempDir Path tmp) throws Exception {
    Path dir = withTokenizer("hovle", tmp);
    JsonNode ref = OfficialFixtures.reference("hovle");
    VlmChat chat = VlmChat.forModel(dir, null);
    assertArrayEquals(
        OfficialFixtures.longs(ref.get("ids_text")),
        chat.prompt(ref.get("question_text").asText(), null).ids());
    VlmChat.Prompt p =
        chat.prompt(
            ref.get("question_image").asText(), OfficialFixtures.root().resolve("image.png"));
    assertArrayEquals(OfficialFixtures.longs(ref.get("ids_image")), p.ids());
    assertEquals(ref.get("tiles").asInt(), p.image().numTiles());
    float[] want = OfficialFixtures.pixelValues();
    float[] got = p.image().pixels();
    assertEquals(want.length, got.length);
    double max = 0;
    for (int i = 0; i < want.length; i++) {
      max = Math.max(max, Math.abs(want[i] - got[i]));
    }
    // PIL's bicubic works on 8-bit images; one 8-bit step after normalisation is 1/255/0.225 =
    // 0.0174.
    assertTrue(max < 0.06, "pixels vs PIL/torchvision: max abs diff " + max);
  }

  @ParameterizedTest
  @ValueSource(strings = {"hovle", "mmmamba_linear", "mmmamba_hybrid"})
  void greedyTokensEqualTheOfficialGenerate(String name, @TempDir Path tmp) throws Exception {
    Path dir = withTokenizer(name, tmp);
    JsonNode ref = OfficialFixtures.reference(name);
    VlmChat chat = VlmChat.forModel(dir, null);
    int max = ref.get("max_new_tokens").asInt();
    try (NDManager m = NDManager.newBaseManager();
        VisionLanguageModel model = VlmIo.load(dir, m, DataType.FLOAT64)) {
      VlmChat.Answer t = chat.ask(model, chat.prompt(ref.get("question_text").asText(), null), max);
      assertArrayEquals(OfficialFixtures.longs(ref.get("greedy_text")), t.tokens(), name + " text");
      VlmChat.Answer i =
          chat.ask(
              model,
              chat.prompt(
                  ref.get("question_image").asText(), OfficialFixtures.root().resolve("image.png")),
              max);
      assertArrayEquals(
          OfficialFixtures.longs(ref.get("greedy_image")), i.tokens(), name + " image");
      assertEquals(ref.get("greedy_image_decoded").asText(), i.text());
    }
  }
}
