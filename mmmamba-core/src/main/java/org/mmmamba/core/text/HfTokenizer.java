package org.mmmamba.core.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import org.mmmamba.core.BadInputException;

/**
 * A Hugging Face {@code tokenizer.json} run by DJL's native tokenizers library, loaded only from a
 * local file (never from the hub), with truncation, padding and automatic special tokens all off
 * (DJL's default would truncate to 512 tokens).
 *
 * <p>{@link #tokenId}, {@link #vocabSize} and the special ids are read from the JSON itself: the
 * {@code model.vocab} table (a map for WordLevel/BPE/WordPiece, a list of {@code [piece, score]}
 * for Unigram) plus {@code added_tokens}. BOS/EOS/PAD come from a {@code tokenizer_config.json}
 * next to the file when there is one ({@code bos_token}, {@code eos_token}, {@code pad_token});
 * otherwise the conventional {@code <s>}, {@code </s>} and {@code <pad>} are used when the
 * vocabulary has them.
 */
public final class HfTokenizer implements Tokenizer {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HuggingFaceTokenizer tokenizer;
  private final Map<String, Long> vocab;
  private final int vocabSize;
  private final OptionalLong bos;
  private final OptionalLong eos;
  private final OptionalLong pad;

  private HfTokenizer(
      HuggingFaceTokenizer tokenizer,
      Map<String, Long> vocab,
      int vocabSize,
      OptionalLong bos,
      OptionalLong eos,
      OptionalLong pad) {
    this.tokenizer = tokenizer;
    this.vocab = vocab;
    this.vocabSize = vocabSize;
    this.bos = bos;
    this.eos = eos;
    this.pad = pad;
  }

  /**
   * Loads a tokenizer.
   *
   * @param path a {@code tokenizer.json} file, or a directory that contains one
   * @return the tokenizer; close it when done
   * @throws BadInputException if the file is missing or not a valid tokenizer.json
   */
  public static HfTokenizer load(Path path) {
    Path file = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
    if (!Files.isRegularFile(file)) {
      throw new BadInputException("tokenizer file not found: " + file);
    }
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new BadInputException("tokenizer " + file + " is not valid JSON: " + oneLine(e), e);
    }
    if (root == null || !root.isObject() || !root.path("model").isObject()) {
      throw new BadInputException("tokenizer " + file + " has no \"model\" object");
    }
    Map<String, Long> vocab = readVocab(file, root);
    long maxId = -1;
    for (long id : vocab.values()) {
      maxId = Math.max(maxId, id);
    }
    HuggingFaceTokenizer hf;
    try {
      hf =
          HuggingFaceTokenizer.builder()
              .optTokenizerPath(file)
              .optTruncation(false)
              .optPadding(false)
              .optAddSpecialTokens(false)
              .build();
    } catch (IOException | RuntimeException e) {
      throw new BadInputException("tokenizer " + file + " cannot be loaded: " + oneLine(e), e);
    }
    Map<String, String> special = specialNames(file.resolveSibling("tokenizer_config.json"));
    return new HfTokenizer(
        hf,
        vocab,
        Math.toIntExact(maxId + 1),
        lookup(vocab, special.getOrDefault("bos_token", "<s>")),
        lookup(vocab, special.getOrDefault("eos_token", "</s>")),
        lookup(vocab, special.getOrDefault("pad_token", "<pad>")));
  }

  private static Map<String, Long> readVocab(Path file, JsonNode root) {
    Map<String, Long> vocab = new HashMap<>();
    JsonNode v = root.path("model").path("vocab");
    if (v.isObject()) {
      for (Map.Entry<String, JsonNode> e : v.properties()) {
        vocab.put(e.getKey(), e.getValue().asLong());
      }
    } else if (v.isArray()) { // Unigram: [[piece, score], ...], id = position
      for (int i = 0; i < v.size(); i++) {
        vocab.put(v.get(i).path(0).asText(), (long) i);
      }
    } else {
      throw new BadInputException("tokenizer " + file + " has no model.vocab");
    }
    for (JsonNode t : root.path("added_tokens")) {
      if (!t.hasNonNull("content") || !t.hasNonNull("id")) {
        throw new BadInputException(
            "tokenizer " + file + ": an added_tokens entry lacks content/id");
      }
      vocab.put(t.get("content").asText(), t.get("id").asLong());
    }
    return Map.copyOf(vocab);
  }

  private static Map<String, String> specialNames(Path config) {
    Map<String, String> out = new HashMap<>();
    if (!Files.isRegularFile(config)) {
      return out;
    }
    try {
      JsonNode c = JSON.readTree(config.toFile());
      for (String key : new String[] {"bos_token", "eos_token", "pad_token"}) {
        JsonNode n = c.path(key);
        if (n.isTextual()) {
          out.put(key, n.asText());
        } else if (n.isObject() && n.path("content").isTextual()) {
          out.put(key, n.path("content").asText());
        }
      }
    } catch (IOException e) {
      throw new BadInputException(
          "tokenizer config " + config + " is not valid JSON: " + oneLine(e), e);
    }
    return out;
  }

  private static OptionalLong lookup(Map<String, Long> vocab, String token) {
    Long id = vocab.get(token);
    return id == null ? OptionalLong.empty() : OptionalLong.of(id);
  }

  private static String oneLine(Exception e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  @Override
  public long[] encode(String text) {
    return tokenizer.encode(text, false, false).getIds();
  }

  @Override
  public String decode(long[] ids) {
    return tokenizer.decode(ids, false);
  }

  /**
   * Decodes ids, optionally dropping special tokens.
   *
   * @param ids token ids
   * @param skipSpecialTokens drop tokens marked special in {@code added_tokens}
   * @return the text
   */
  public String decode(long[] ids, boolean skipSpecialTokens) {
    return tokenizer.decode(ids, skipSpecialTokens);
  }

  @Override
  public int vocabSize() {
    return vocabSize;
  }

  @Override
  public OptionalLong tokenId(String token) {
    return lookup(vocab, token);
  }

  @Override
  public OptionalLong bosId() {
    return bos;
  }

  @Override
  public OptionalLong eosId() {
    return eos;
  }

  @Override
  public OptionalLong padId() {
    return pad;
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
