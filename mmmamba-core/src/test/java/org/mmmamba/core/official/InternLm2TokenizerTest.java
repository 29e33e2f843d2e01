package org.mmmamba.core.official;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.text.InternLm2Tokenizer;

/**
 * The InternLM2 tokenizer read from tokenizer.model + the added-token files reproduces the official
 * InternLM2Tokenizer (hustvl/mmMamba's tokenization_internlm2.py, run by make_official_fixtures.py)
 * exactly: ids of texts with chat and image special tokens, a Chinese system message, byte-fallback
 * characters (ü, 東京, emoji), repeated and leading/trailing spaces, a tab, digits and the empty
 * string; and its decoding.
 */
class InternLm2TokenizerTest {
  private static final JsonNode IDS =
      OfficialFixtures.json(OfficialFixtures.tokenizer().resolve("tokenizer_ids.json"));

  @Test
  void idsEqualTheOfficialTokenizer() {
    InternLm2Tokenizer tok = InternLm2Tokenizer.load(OfficialFixtures.tokenizer());
    int n = 0;
    for (JsonNode c : IDS.get("cases")) {
      long[] want = OfficialFixtures.longs(c.get("ids"));
      assertArrayEquals(want, tok.encodeWithBos(c.get("text").asText()), "ids of " + c.get("text"));
      n++;
    }
    assertEquals(9, n);
  }

  @Test
  void decodingSkippingSpecialTokensEqualsTheOfficialDecode() {
    InternLm2Tokenizer tok = InternLm2Tokenizer.load(OfficialFixtures.tokenizer());
    for (JsonNode c : IDS.get("cases")) {
      long[] ids = OfficialFixtures.longs(c.get("ids"));
      assertEquals(
          c.get("decoded_skip_special").asText(),
          tok.decode(ids, true),
          "decode of " + c.get("text"));
    }
  }

  @Test
  void specialIdsComeFromTheAddedTokenFiles() {
    InternLm2Tokenizer tok = InternLm2Tokenizer.load(OfficialFixtures.tokenizer());
    for (Iterator<Map.Entry<String, JsonNode>> it = IDS.get("special_ids").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      assertEquals(e.getValue().asLong(), tok.tokenId(e.getKey()).getAsLong(), e.getKey());
    }
    assertEquals(IDS.get("len_tokenizer").asInt(), tok.vocabSize());
    assertEquals(1L, tok.bosId().getAsLong());
  }
}
