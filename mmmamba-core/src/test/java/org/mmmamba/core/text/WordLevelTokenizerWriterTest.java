package org.mmmamba.core.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WordLevelTokenizerWriterTest {
  static final List<String> WORDS =
      List.of("what", "color", "is", "the", "circle", "?", "red", "top-left", "user", "assistant");

  @TempDir static Path dir;
  static Path file;

  @BeforeAll
  static void write() {
    file = dir.resolve("tokenizer.json");
    WordLevelTokenizerWriter.write(file, WORDS);
  }

  /** ids: 9 specials (pad=0 ... im_end=8), then the words from 9 on. */
  static long id(String word) {
    int s = WordLevelTokenizerWriter.DEFAULT_SPECIALS.indexOf(word);
    return s >= 0 ? s : 9 + WORDS.indexOf(word);
  }

  @Test
  void djlLoadsItAndSplitsPunctuation() {
    try (HfTokenizer t = HfTokenizer.load(file)) {
      assertEquals(19, t.vocabSize());
      assertArrayEquals(
          new long[] {id("what"), id("color"), id("is"), id("the"), id("circle"), id("?")},
          t.encode("what color is the circle?"));
      assertArrayEquals(new long[] {id("what"), id("color"), id("?")}, t.encode("what   color ?"));
    }
  }

  @Test
  void specialTokensMatchWholeEvenGluedToText() {
    try (HfTokenizer t = HfTokenizer.load(file)) {
      assertArrayEquals(new long[] {id("red"), id("</s>")}, t.encode("red</s>"));
      assertArrayEquals(
          new long[] {
            id("<|im_start|>"),
            id("user"),
            id("<img>"),
            id("<IMG_CONTEXT>"),
            id("<IMG_CONTEXT>"),
            id("</img>"),
            id("?"),
            id("<|im_end|>")
          },
          t.encode("<|im_start|>user\n<img><IMG_CONTEXT><IMG_CONTEXT></img>\n?<|im_end|>"));
    }
  }

  @Test
  void hyphenatedWordStaysOneToken() {
    try (HfTokenizer t = HfTokenizer.load(file)) {
      assertArrayEquals(new long[] {id("top-left"), id("?")}, t.encode("top-left ?"));
      assertEquals("top-left", t.decode(new long[] {id("top-left")}));
    }
  }

  @Test
  void unknownWordsBecomeUnk() {
    try (HfTokenizer t = HfTokenizer.load(file)) {
      assertArrayEquals(new long[] {id("the"), 1}, t.encode("the banana"));
    }
  }

  @Test
  void roundTripsIds() {
    try (HfTokenizer t = HfTokenizer.load(file)) {
      String text = "what color is the circle ? red";
      long[] ids = t.encode(text);
      assertEquals(text, t.decode(ids));
      assertArrayEquals(ids, t.encode(t.decode(ids)));
      long[] all = new long[19];
      for (int i = 0; i < all.length; i++) {
        all[i] = i;
      }
      // every id decodes to its token and encodes back to itself
      for (long i : all) {
        assertArrayEquals(new long[] {i}, t.encode(t.decode(new long[] {i})), "id " + i);
      }
      assertEquals("red </s>", t.decode(new long[] {id("red"), id("</s>")}));
      assertEquals("red", t.decode(new long[] {id("red"), id("</s>")}, true));
    }
  }

  @Test
  void specialIdsAndLookups() {
    try (HfTokenizer t = HfTokenizer.load(dir)) { // a directory works too
      assertEquals(0, t.padId().getAsLong());
      assertEquals(2, t.bosId().getAsLong());
      assertEquals(3, t.eosId().getAsLong());
      assertEquals(6, t.tokenId("<IMG_CONTEXT>").getAsLong());
      assertEquals(id("circle"), t.tokenId("circle").getAsLong());
      assertEquals(true, t.tokenId("banana").isEmpty());
    }
  }

  @Test
  void writingIsDeterministic() throws Exception {
    Path other = dir.resolve("again.json");
    WordLevelTokenizerWriter.write(other, WORDS);
    assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(other));
  }

  @Test
  void rejectsBadTokens() {
    Path p = dir.resolve("bad.json");
    assertThrows(
        IllegalArgumentException.class,
        () -> WordLevelTokenizerWriter.write(p, List.of("two words")));
    assertThrows(
        IllegalArgumentException.class,
        () -> WordLevelTokenizerWriter.write(p, List.of("<pad>"), List.of("a"), "<unk>"));
  }
}
