package org.mmmamba.distill.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.text.ChatTemplate;
import org.mmmamba.core.text.HfTokenizer;
import org.mmmamba.core.text.PromptBuilder;
import org.mmmamba.core.text.WordLevelTokenizerWriter;
import org.mmmamba.core.vision.ImagePreprocessor;
import org.mmmamba.core.vision.VisionConfig;

class SampleEncoderTest {
  @TempDir static Path dir;
  static HfTokenizer tok;
  static final VisionConfig VISION = VisionConfig.defaults().withSizes(8, 2).withTiling(1, 4, true);

  @BeforeAll
  static void tokenizer() {
    Path p = dir.resolve("tokenizer.json");
    WordLevelTokenizerWriter.write(
        p, List.of("USER", ":", "ASSISTANT", "what", "color", "?", "red"));
    tok = HfTokenizer.load(p);
  }

  @AfterAll
  static void close() {
    tok.close();
  }

  private static SampleEncoder encoder(int maxTokens, BrokenSamplePolicy policy, StatsCounter c) {
    return new SampleEncoder(
        new PromptBuilder(tok, ChatTemplate.plain(), VISION.tokensPerTile()),
        new ImagePreprocessor(VISION),
        maxTokens,
        policy,
        c);
  }

  @Test
  void encodesImagesAndFiltersByLengthAfterTokenisation() {
    try (LlavaDataset d =
        LlavaDataset.open(
            TestData.resource("broken.jsonl"), TestData.root(), BrokenSamplePolicy.SKIP)) {
      List<Sample> ok = d.stream().collect(Collectors.toList());
      // ok-1: red.png 8x8 -> 1 tile of 4x4 patches -> 4 image tokens:
      // USER : <img> 4x <IMG_CONTEXT> </img> what color ? ASSISTANT : red </s> = 15 tokens
      SampleEncoder enc = encoder(15, BrokenSamplePolicy.SKIP, d.counter());
      EncodedSample e = enc.encode(ok.get(0)).orElseThrow();
      assertEquals(15, e.encoded().length());
      assertEquals(1, e.numTiles());
      assertEquals(4, e.encoded().imageContextPositions().length);
      assertEquals(2, e.encoded().answerTokens());
      // no-placeholder: wide.png 16x8 -> 2x1 grid + thumbnail = 3 tiles = 12 image tokens: 23 > 15
      assertTrue(enc.encode(ok.get(2)).isEmpty());
      // corrupt-image: the file exists but does not decode
      assertTrue(enc.encode(ok.get(3)).isEmpty());
      DatasetStats s = d.stats();
      assertEquals(1, s.filteredTooLong());
      assertEquals(1, s.broken(BrokenReason.UNREADABLE_IMAGE));
      assertEquals(2, s.ok()); // ok-1 and text-only
    }
  }

  @Test
  void failPolicyThrowsForUnreadableImagesButNeverForLength() {
    try (LlavaDataset d =
        LlavaDataset.open(
            TestData.resource("broken.jsonl"), TestData.root(), BrokenSamplePolicy.SKIP)) {
      List<Sample> ok = d.stream().collect(Collectors.toList());
      SampleEncoder enc = encoder(10, BrokenSamplePolicy.FAIL, d.counter());
      assertEquals(Optional.empty(), enc.encode(ok.get(0))); // too long: filtered, not an error
      BadInputException e = assertThrows(BadInputException.class, () -> enc.encode(ok.get(3)));
      assertTrue(e.getMessage().contains("broken.jsonl line 11"), e.getMessage());
      assertTrue(e.getMessage().contains("corrupt.png"), e.getMessage());
    }
  }
}
