package org.mmmamba.core.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.BadInputException;

class PromptBuilderTest {
  @TempDir static Path dir;
  static HfTokenizer tok;

  // ids: <pad>0 <unk>1 <s>2 </s>3 <img>4 </img>5 <IMG_CONTEXT>6 <|im_start|>7 <|im_end|>8
  //      USER 9 : 10 ASSISTANT 11 user 12 assistant 13 q 14 a 15 b 16
  @BeforeAll
  static void load() {
    Path p = dir.resolve("tokenizer.json");
    WordLevelTokenizerWriter.write(
        p, List.of("USER", ":", "ASSISTANT", "user", "assistant", "q", "a", "b"));
    tok = HfTokenizer.load(p);
  }

  @AfterAll
  static void close() {
    tok.close();
  }

  @Test
  void plainTemplateWithImageByHand() {
    PromptBuilder pb = new PromptBuilder(tok, ChatTemplate.plain(), 2);
    Encoded e =
        pb.encode(
            List.of(
                ChatMessage.user("<image>\nq"),
                ChatMessage.assistant("a b"),
                ChatMessage.user("q"),
                ChatMessage.assistant("b")),
            1);
    // USER : <img> ctx ctx </img> q ASSISTANT : | a b </s> | USER : q ASSISTANT : | b </s>
    assertArrayEquals(
        new long[] {9, 10, 4, 6, 6, 5, 14, 11, 10, 15, 16, 3, 9, 10, 14, 11, 10, 16, 3},
        e.inputIds());
    boolean f = false;
    boolean t = true;
    assertArrayEquals(
        new boolean[] {f, f, f, f, f, f, f, f, f, t, t, t, f, f, f, f, f, t, t}, e.labelMask());
    assertArrayEquals(new int[] {3, 4}, e.imageContextPositions());
    assertEquals(5, e.answerTokens());
  }

  @Test
  void internlm2TemplateByHand() {
    PromptBuilder pb = new PromptBuilder(tok, ChatTemplate.internlm2Chat(""), 256);
    Encoded e = pb.encode(List.of(ChatMessage.user("q"), ChatMessage.assistant("a")), 0);
    // <|im_start|> user q <|im_end|> <|im_start|> assistant | a <|im_end|>
    assertArrayEquals(new long[] {7, 12, 14, 8, 7, 13, 15, 8}, e.inputIds());
    assertArrayEquals(
        new boolean[] {false, false, false, false, false, false, true, true}, e.labelMask());
    assertEquals(0, e.imageContextPositions().length);
  }

  @Test
  void directIdInsertionEqualsTokenisingTheExpandedText() {
    ChatTemplate tpl = ChatTemplate.internlm2Chat("");
    List<ChatMessage> conv =
        List.of(ChatMessage.user("q <image> q"), ChatMessage.assistant("a"), ChatMessage.user("b"));
    Encoded e = new PromptBuilder(tok, tpl, 4).encode(conv, 3);
    long[] viaText = tok.encode(ImagePlaceholders.expand(tpl.renderText(conv), 4, 3));
    assertArrayEquals(viaText, e.inputIds());
    assertEquals(12, e.imageContextPositions().length);
    for (int p : e.imageContextPositions()) {
      assertEquals(6, e.inputIds()[p]);
    }
  }

  @Test
  void placeholderMismatchIsBadInput() {
    PromptBuilder pb = new PromptBuilder(tok, ChatTemplate.plain(), 2);
    assertThrows(
        BadInputException.class,
        () -> pb.encode(List.of(ChatMessage.user("q"), ChatMessage.assistant("a")), 1));
    assertThrows(
        BadInputException.class,
        () -> pb.encode(List.of(ChatMessage.user("<image> q"), ChatMessage.assistant("a")), 0));
  }
}
