package org.mmmamba.distill.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.text.ChatTemplate;
import org.mmmamba.core.text.Encoded;
import org.mmmamba.core.text.HfTokenizer;
import org.mmmamba.core.text.PromptBuilder;
import org.mmmamba.core.vision.ImagePreprocessor;
import org.mmmamba.core.vision.VisionConfig;

/** writeDataset -> LlavaDataset -> tokenizer.json through DJL -> encoder -> collator. */
class ShapesRoundTripTest {
  @TempDir Path dir;

  @Test
  void writtenDatasetReadsBackAndTokenizesWithoutUnknownWords() {
    ShapesConfig cfg = new ShapesConfig(28, 3, 3, 0x202020);
    ShapesTask.writeDataset(dir, cfg, 5, 60, 20, false);
    List<ShapesSample> expected =
        ShapesTask.generate(cfg, 5, 60, "train").collect(Collectors.toList());
    VisionConfig vision = VisionConfig.defaults().withSizes(28, 7).withTiling(1, 6, true);
    try (HfTokenizer tok = HfTokenizer.load(dir.resolve("tokenizer.json"));
        LlavaDataset train =
            LlavaDataset.open(dir.resolve("train.json"), dir, BrokenSamplePolicy.FAIL)) {
      long unk = tok.tokenId("<unk>").getAsLong();
      PromptBuilder pb =
          new PromptBuilder(tok, ChatTemplate.internlm2Chat(""), vision.tokensPerTile());
      SampleEncoder enc =
          new SampleEncoder(
              pb, new ImagePreprocessor(vision), 64, BrokenSamplePolicy.FAIL, train.counter());
      List<Sample> samples = train.stream().collect(Collectors.toList());
      assertEquals(60, samples.size());
      List<EncodedSample> encoded = new ArrayList<>();
      for (int i = 0; i < samples.size(); i++) {
        Sample s = samples.get(i);
        ShapesSample e = expected.get(i);
        assertEquals(e.id(), s.id());
        assertEquals(e.questionType().key(), s.questionType());
        assertEquals("<image>\n" + e.question(), s.conversations().get(0).value());
        EncodedSample es = enc.encode(s).orElseThrow();
        Encoded x = es.encoded();
        assertTrue(Arrays.stream(x.inputIds()).noneMatch(id -> id == unk), s.id());
        assertEquals(1, es.numTiles()); // a square 28-pixel image is one tile, no thumbnail
        assertEquals(4, x.imageContextPositions().length);
        // the answer tokens decode to the answer and the closing <|im_end|>
        long[] answerIds =
            java.util.stream.IntStream.range(0, x.length())
                .filter(t -> x.labelMask()[t])
                .mapToLong(t -> x.inputIds()[t])
                .toArray();
        assertEquals(e.answer() + " <|im_end|>", tok.decode(answerIds));
        // the question survives encode/decode (word-level: tokens joined by spaces)
        assertEquals(e.question(), tok.decode(tok.encode(e.question())));
        // the decoded image equals the generated one (PNG is lossless)
        assertEquals(e.image(), org.mmmamba.core.vision.ImageIoLoader.load(s.image()));
        encoded.add(es);
      }
      Batch b = new Collator(tok.padId().getAsLong()).collate(encoded.subList(0, 8));
      assertEquals(8, b.batchSize());
      assertEquals(8, b.totalTiles());
      assertEquals(8 * 3 * 28 * 28, b.pixelValues().length);
      assertEquals(60, train.stats().ok());
    }
    try (LlavaDataset test =
        LlavaDataset.open(dir.resolve("test.json"), dir, BrokenSamplePolicy.FAIL)) {
      assertEquals(20, test.stream().count());
    }
  }
}
