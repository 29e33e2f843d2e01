package org.mmmamba.core.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The side files of a published HoVLE / released mmMamba folder that a derived checkpoint must
 * carry.
 */
public final class OfficialFiles {
  /**
   * The InternLM2 tokenizer files ({@code tokenizer.save_pretrained} in convert_weight.py writes
   * these).
   */
  public static final List<String> TOKENIZER =
      List.of(
          "tokenizer.model",
          "tokenizer_config.json",
          "special_tokens_map.json",
          "added_tokens.json",
          "tokenization_internlm2.py",
          "tokenization_internlm2_fast.py");

  private OfficialFiles() {}

  /** Copies those of {@link #TOKENIZER} that {@code from} has into {@code to} (replacing). */
  public static void copyTokenizer(Path from, Path to) {
    for (String n : TOKENIZER) {
      Path f = from.resolve(n);
      if (Files.isRegularFile(f)) {
        try {
          Files.copy(f, to.resolve(n), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot copy " + f + " to " + to, e);
        }
      }
    }
  }
}
