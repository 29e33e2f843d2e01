package org.mmmamba.distill.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.text.ChatTemplate;
import org.mmmamba.core.text.HfTokenizer;
import org.mmmamba.core.text.PromptBuilder;
import org.mmmamba.core.vision.ImagePreprocessor;
import org.mmmamba.core.vision.VisionConfig;

/**
 * {@code mmmamba data shapes} writes what {@code builtin:shapes} generates: files -> {@link
 * LlavaDataset} -> {@link SampleEncoder} give the same encoded samples (ids, token ids, label
 * masks, pixels) as the in-memory built-in source, for both splits, with the same tokenizer file
 * the teachers use.
 */
class ShapesFilesRoundTripTest {
  @TempDir Path dir;

  private static final ShapesConfig CFG = ShapesConfig.defaults();
  private static final VisionConfig VISION =
      VisionConfig.defaults().withSizes(28, 7).withTiling(1, 1, false);

  @Test
  void filesWithoutFillerEqualTheBuiltinTaskForBothSplits() throws Exception {
    Path out = dir.resolve("shapes");
    ShapesTask.writeDataset(out, CFG, 7, 40, 12, 0, false);
    Path builtinTok = dir.resolve("builtin-tokenizer.json");
    TaskData.writeShapesTokenizer(builtinTok);
    assertArrayEquals(
        Files.readAllBytes(builtinTok), Files.readAllBytes(out.resolve("tokenizer.json")));
    try (HfTokenizer tok = HfTokenizer.load(out.resolve("tokenizer.json"))) {
      PromptBuilder pb = new PromptBuilder(tok, ChatTemplate.plain(), VISION.tokensPerTile());
      ImagePreprocessor images = new ImagePreprocessor(VISION);
      assertSame(out, "train", 7, 40, pb, images);
      assertSame(out, "test", 7 + TaskData.TEST_SEED_OFFSET, 12, pb, images);
    }
  }

  @Test
  void textOnlyBaselineOfFilesEqualsTheInMemoryOne() {
    Path out = dir.resolve("baseline");
    ShapesTask.writeDataset(out, CFG, 9, 400, 120, 0, false);
    java.util.List<String> tq = new java.util.ArrayList<>();
    java.util.List<String> ta = new java.util.ArrayList<>();
    java.util.List<String> eq = new java.util.ArrayList<>();
    java.util.List<String> ea = new java.util.ArrayList<>();
    ShapesTask.generate(CFG, 9, 400, "train")
        .forEach(
            s -> {
              tq.add(s.question());
              ta.add(s.answer());
            });
    ShapesTask.generate(CFG, 9 + TaskData.TEST_SEED_OFFSET, 120, "test")
        .forEach(
            s -> {
              eq.add(s.question());
              ea.add(s.answer());
            });
    double expected = TextOnlyBaseline.heldOutAccuracy(tq, ta, eq, ea);
    assertTrue(expected > 0.1 && expected < 0.6, "baseline " + expected);
    assertEquals(
        expected,
        TextOnlyBaseline.heldOutAccuracy(out.resolve("train.json"), out.resolve("test.json"), null),
        0.0);
  }

  @Test
  void fillerWordsVaryTheLengthButKeepImageQuestionAndAnswer() throws Exception {
    Path out = dir.resolve("varied");
    ShapesTask.writeDataset(out, CFG, 3, 60, 5, 12, false);
    try (HfTokenizer tok = HfTokenizer.load(out.resolve("tokenizer.json"));
        LlavaDataset ds =
            LlavaDataset.open(out.resolve("train.json"), out, BrokenSamplePolicy.FAIL)) {
      long unk = tok.tokenId("<unk>").getAsLong();
      PromptBuilder pb = new PromptBuilder(tok, ChatTemplate.plain(), VISION.tokensPerTile());
      ImagePreprocessor images = new ImagePreprocessor(VISION);
      SampleSource files =
          SampleSource.llava(
              ds, new SampleEncoder(pb, images, 4096, BrokenSamplePolicy.FAIL, ds.counter()));
      SampleSource builtin = SampleSource.shapes(CFG, 3, 60, "train", pb, images);
      Set<Integer> extra = new HashSet<>();
      for (int i = 0; i < 60; i++) {
        EncodedSample f = files.get(i).orElseThrow();
        EncodedSample b = builtin.get(i).orElseThrow();
        long[] fi = f.encoded().inputIds();
        long[] bi = b.encoded().inputIds();
        assertTrue(Arrays.stream(fi).noneMatch(t -> t == unk), f.id());
        int k = fi.length - bi.length;
        extra.add(k);
        assertTrue(k >= 0 && k <= 12, "filler of " + k + " tokens");
        assertArrayEquals(b.image().pixels(), f.image().pixels(), f.id());
        // the answer and everything after the question are unchanged
        int tail = 4;
        assertArrayEquals(
            Arrays.copyOfRange(bi, bi.length - tail, bi.length),
            Arrays.copyOfRange(fi, fi.length - tail, fi.length),
            f.id());
        assertEquals(b.encoded().answerTokens(), f.encoded().answerTokens());
      }
      assertTrue(extra.size() >= 8, "filler lengths should vary, got " + extra);
    }
  }

  private static void assertSame(
      Path out, String split, long seed, int n, PromptBuilder pb, ImagePreprocessor images) {
    SampleSource builtin = SampleSource.shapes(CFG, seed, n, split, pb, images);
    try (LlavaDataset ds =
        LlavaDataset.open(out.resolve(split + ".json"), out, BrokenSamplePolicy.FAIL)) {
      SampleSource files =
          SampleSource.llava(
              ds, new SampleEncoder(pb, images, 4096, BrokenSamplePolicy.FAIL, ds.counter()));
      assertEquals(n, files.size());
      for (int i = 0; i < n; i++) {
        EncodedSample f = files.get(i).orElseThrow();
        EncodedSample b = builtin.get(i).orElseThrow();
        assertEquals(b.id(), f.id());
        assertArrayEquals(b.encoded().inputIds(), f.encoded().inputIds(), f.id());
        assertArrayEquals(b.encoded().labelMask(), f.encoded().labelMask(), f.id());
        assertArrayEquals(
            b.encoded().imageContextPositions(), f.encoded().imageContextPositions(), f.id());
        assertArrayEquals(b.image().pixels(), f.image().pixels(), f.id());
        assertEquals(b.questionType().toLowerCase(java.util.Locale.ROOT), f.questionType(), f.id());
      }
    }
  }
}
