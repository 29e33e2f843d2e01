package org.mmmamba.core.text;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Writes a Hugging Face {@code tokenizer.json} with a WordLevel model, for synthetic tasks and tiny
 * models.
 *
 * <p>The file has:
 *
 * <ul>
 *   <li>a {@code Whitespace} pre-tokenizer (regex {@code \w+|[^\w\s]+}), so punctuation is split
 *       off words: {@code "shape?"} becomes {@code shape ?};
 *   <li>a WordLevel model whose ids are: the special tokens in the order given (ids 0, 1, ...),
 *       then the words in the order given, duplicates dropped;
 *   <li>every special token as an {@code added_tokens} entry with {@code special: true}, so it is
 *       matched whole anywhere, even glued to text ({@code "red</s>"} gives {@code red </s>});
 *   <li>every word that the pre-tokenizer would split (e.g. {@code top-left}) also as an added
 *       token ({@code special: false}, {@code single_word: true}), so it stays one token.
 * </ul>
 *
 * <p>No normaliser, post-processor or decoder: decoding joins tokens with single spaces. The output
 * is byte-for-byte deterministic for the same inputs.
 */
public final class WordLevelTokenizerWriter {
  /** The special tokens used by this project's synthetic data, in id order (pad = 0). */
  public static final List<String> DEFAULT_SPECIALS =
      List.of(
          "<pad>",
          "<unk>",
          "<s>",
          "</s>",
          ImagePlaceholders.IMG_START,
          ImagePlaceholders.IMG_END,
          ImagePlaceholders.IMG_CONTEXT,
          "<|im_start|>",
          "<|im_end|>");

  private static final Pattern ONE_PIECE =
      Pattern.compile("\\w+|[^\\w\\s]+", Pattern.UNICODE_CHARACTER_CLASS);
  private static final Pattern HAS_SPACE = Pattern.compile("\\s", Pattern.UNICODE_CHARACTER_CLASS);

  private WordLevelTokenizerWriter() {}

  /**
   * Writes {@code tokenizer.json} with {@link #DEFAULT_SPECIALS} and {@code <unk>} as unknown
   * token.
   *
   * @param file the file to write (parent directories must exist)
   * @param words the vocabulary words, in id order after the specials
   */
  public static void write(Path file, List<String> words) {
    write(file, DEFAULT_SPECIALS, words, "<unk>");
  }

  /**
   * Writes {@code tokenizer.json}.
   *
   * @param file the file to write (parent directories must exist)
   * @param specialTokens special tokens, ids 0..k-1 in this order
   * @param words vocabulary words, ids from k on in this order (duplicates and specials dropped)
   * @param unkToken the unknown token; must be one of {@code specialTokens}
   * @throws IllegalArgumentException if a token is empty or contains whitespace, or unk is missing
   * @throws UncheckedIOException if the file cannot be written
   */
  public static void write(
      Path file, List<String> specialTokens, List<String> words, String unkToken) {
    if (!specialTokens.contains(unkToken)) {
      throw new IllegalArgumentException(
          "unk token " + unkToken + " is not among the special tokens");
    }
    Set<String> ordered = new LinkedHashSet<>();
    for (String s : specialTokens) {
      check(s);
      if (!ordered.add(s)) {
        throw new IllegalArgumentException("duplicate special token " + s);
      }
    }
    List<String> glued = new ArrayList<>();
    for (String w : words) {
      check(w);
      if (ordered.add(w) && !ONE_PIECE.matcher(w).matches()) {
        glued.add(w);
      }
    }
    try (OutputStream out = Files.newOutputStream(file);
        JsonGenerator g = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)) {
      DefaultPrettyPrinter pp =
          new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n"));
      g.setPrettyPrinter(pp);
      g.writeStartObject();
      g.writeStringField("version", "1.0");
      g.writeNullField("truncation");
      g.writeNullField("padding");
      g.writeArrayFieldStart("added_tokens");
      int id = 0;
      for (String s : specialTokens) {
        addedToken(g, id++, s, true);
      }
      List<String> all = new ArrayList<>(ordered);
      java.util.Map<String, Integer> index = new java.util.HashMap<>();
      for (int i = 0; i < all.size(); i++) {
        index.put(all.get(i), i);
      }
      for (String w : glued) {
        addedToken(g, index.get(w), w, false);
      }
      g.writeEndArray();
      g.writeNullField("normalizer");
      g.writeObjectFieldStart("pre_tokenizer");
      g.writeStringField("type", "Whitespace");
      g.writeEndObject();
      g.writeNullField("post_processor");
      g.writeNullField("decoder");
      g.writeObjectFieldStart("model");
      g.writeStringField("type", "WordLevel");
      g.writeObjectFieldStart("vocab");
      for (int i = 0; i < all.size(); i++) {
        g.writeNumberField(all.get(i), i);
      }
      g.writeEndObject();
      g.writeStringField("unk_token", unkToken);
      g.writeEndObject();
      g.writeEndObject();
      g.flush();
      out.write('\n');
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static void addedToken(JsonGenerator g, int id, String content, boolean special)
      throws IOException {
    g.writeStartObject();
    g.writeNumberField("id", id);
    g.writeStringField("content", content);
    g.writeBooleanField("single_word", !special);
    g.writeBooleanField("lstrip", false);
    g.writeBooleanField("rstrip", false);
    g.writeBooleanField("normalized", false);
    g.writeBooleanField("special", special);
    g.writeEndObject();
  }

  private static void check(String token) {
    if (token == null || token.isEmpty() || HAS_SPACE.matcher(token).find()) {
      throw new IllegalArgumentException("bad token (empty or has whitespace): '" + token + "'");
    }
  }
}
