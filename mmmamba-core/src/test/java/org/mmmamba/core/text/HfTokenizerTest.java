package org.mmmamba.core.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.BadInputException;

class HfTokenizerTest {
  @TempDir Path dir;

  @Test
  void missingFileNamesIt() {
    Path p = dir.resolve("none/tokenizer.json");
    BadInputException e = assertThrows(BadInputException.class, () -> HfTokenizer.load(p));
    assertTrue(e.getMessage().contains("none/tokenizer.json"), e.getMessage());
  }

  @Test
  void brokenJsonNamesTheFile() throws Exception {
    Path p = dir.resolve("tokenizer.json");
    Files.writeString(p, "{\"model\": {");
    BadInputException e = assertThrows(BadInputException.class, () -> HfTokenizer.load(p));
    assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
  }

  @Test
  void unknownModelTypeIsBadInput() throws Exception {
    Path p = dir.resolve("tokenizer.json");
    Files.writeString(p, "{\"model\": {\"type\": \"Nope\", \"vocab\": {\"a\": 0}}}");
    BadInputException e = assertThrows(BadInputException.class, () -> HfTokenizer.load(p));
    assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), "one line");
  }

  @Test
  void longInputIsNotTruncated() {
    Path p = dir.resolve("tokenizer.json");
    WordLevelTokenizerWriter.write(p, List.of("a", "b"));
    try (HfTokenizer t = HfTokenizer.load(p)) {
      String text = "a b ".repeat(1500);
      assertEquals(3000, t.encode(text).length);
      assertEquals(4096, t.encode("<IMG_CONTEXT>".repeat(4096)).length);
    }
  }

  @Test
  void tokenizerConfigNamesTheSpecials() throws Exception {
    Path p = dir.resolve("tokenizer.json");
    WordLevelTokenizerWriter.write(p, List.of("a"));
    Files.writeString(
        dir.resolve("tokenizer_config.json"),
        "{\"bos_token\": \"<|im_start|>\", \"eos_token\": {\"content\": \"<|im_end|>\"}}");
    try (HfTokenizer t = HfTokenizer.load(p)) {
      assertEquals(7, t.bosId().getAsLong());
      assertEquals(8, t.eosId().getAsLong());
      assertEquals(0, t.padId().getAsLong()); // not in the config: falls back to <pad>
    }
  }
}
