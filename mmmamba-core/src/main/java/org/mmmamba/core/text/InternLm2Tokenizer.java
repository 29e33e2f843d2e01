package org.mmmamba.core.text;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.config.JsonFields;

/**
 * The InternLM2 tokenizer of HoVLE / InternVL / the mmMamba students ({@code InternLM2Tokenizer},
 * the slow sentencepiece one, with {@code use_fast=False} as their chat code loads it), from a
 * checkpoint folder's files:
 *
 * <ul>
 *   <li>{@code tokenizer.model}: sentencepiece BPE with byte fallback ({@link SentencePieceModel},
 *       {@link SentencePieceBpe});
 *   <li>{@code tokenizer_config.json} {@code added_tokens_decoder} (id -> content) and {@code
 *       added_tokens.json} (content -> id): the special and added tokens; their ids come from these
 *       files, never from the sentencepiece pieces; {@code bos_token}, {@code eos_token}, {@code
 *       pad_token} name them.
 * </ul>
 *
 * <p>Encoding ({@link #encode}): the text is cut at every added token (longest match first at each
 * position), each run between them is sentencepiece-encoded on its own (so each run gets its own
 * dummy-prefix "▁"), added tokens map to their ids; {@link #encodeWithBos} prepends {@code <s>} as
 * the official tokenizer's {@code __call__} does ({@code add_bos_token}). Decoding joins the
 * sentencepiece runs and writes added tokens as their text ({@link #decode(long[], boolean)} can
 * drop them).
 */
public final class InternLm2Tokenizer implements Tokenizer {
  private final SentencePieceBpe sp;
  private final Map<String, Integer> added;
  private final Map<Integer, String> addedById;
  private final List<String> addedByLength;
  private final int vocabSize;
  private final Integer bos;
  private final Integer eos;
  private final Integer pad;

  private InternLm2Tokenizer(
      SentencePieceBpe sp,
      Map<Integer, String> addedById,
      String bosTok,
      String eosTok,
      String padTok) {
    this.sp = sp;
    this.addedById = addedById;
    this.added = new HashMap<>();
    addedById.forEach((id, t) -> added.put(t, id));
    this.addedByLength = new ArrayList<>(added.keySet());
    addedByLength.sort((a, b) -> b.length() - a.length());
    int max = sp.size();
    for (int id : addedById.keySet()) {
      max = Math.max(max, id + 1);
    }
    this.vocabSize = max;
    this.bos = idOf(bosTok);
    this.eos = idOf(eosTok);
    this.pad = idOf(padTok);
  }

  private Integer idOf(String token) {
    if (token == null) {
      return null;
    }
    OptionalLong id = tokenId(token);
    return id.isPresent() ? (int) id.getAsLong() : null;
  }

  /** True if {@code dir} has a {@code tokenizer.model}. */
  public static boolean isPresent(Path dir) {
    return Files.isRegularFile(dir.resolve("tokenizer.model"));
  }

  /**
   * Loads the tokenizer files of {@code dir}.
   *
   * @throws BadInputException naming the file when one is missing or malformed
   */
  public static InternLm2Tokenizer load(Path dir) {
    Path model = dir.resolve("tokenizer.model");
    if (!Files.isRegularFile(model)) {
      throw new BadInputException(
          dir + ": no tokenizer.model (the InternLM2 sentencepiece tokenizer)");
    }
    SentencePieceBpe sp = new SentencePieceBpe(SentencePieceModel.read(model), model.toString());
    Map<Integer, String> byId = new TreeMap<>();
    String bosTok = "<s>";
    String eosTok = "</s>";
    String padTok = null;
    Path tc = dir.resolve("tokenizer_config.json");
    if (Files.isRegularFile(tc)) {
      JsonFields j = JsonFields.read(tc);
      JsonNode dec = j.node().get("added_tokens_decoder");
      if (dec != null && dec.isObject()) {
        for (Iterator<Map.Entry<String, JsonNode>> it = dec.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          int id;
          try {
            id = Integer.parseInt(e.getKey());
          } catch (NumberFormatException ex) {
            throw new BadInputException(
                tc + ": added_tokens_decoder key '" + e.getKey() + "' is not an id");
          }
          String content = e.getValue().path("content").asText(null);
          if (content == null || content.isEmpty()) {
            throw new BadInputException(
                tc + ": added_tokens_decoder." + e.getKey() + " has no content");
          }
          byId.put(id, content);
        }
      }
      bosTok = tokenName(j.node().get("bos_token"), bosTok);
      eosTok = tokenName(j.node().get("eos_token"), eosTok);
      padTok = tokenName(j.node().get("pad_token"), null);
    }
    Path at = dir.resolve("added_tokens.json");
    if (Files.isRegularFile(at)) {
      JsonNode a = JsonFields.read(at).node();
      for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().canConvertToInt()) {
          throw new BadInputException(at + ": '" + e.getKey() + "' must map to an integer id");
        }
        int id = e.getValue().asInt();
        String prev = byId.putIfAbsent(id, e.getKey());
        if (prev != null && !prev.equals(e.getKey())) {
          throw new BadInputException(
              at
                  + ": id "
                  + id
                  + " is '"
                  + e.getKey()
                  + "' but tokenizer_config.json says '"
                  + prev
                  + "'");
        }
      }
    }
    // <s>, </s>, <unk> are control pieces of the model: splitting them out keeps them atomic, as
    // the official
    // tokenizer does (they are in its added_tokens_decoder); add them if the files did not list
    // them.
    for (String t : new String[] {"<unk>", "<s>", "</s>"}) {
      int id = sp.pieceId(t);
      if (id >= 0 && !byId.containsValue(t)) {
        byId.put(id, t);
      }
    }
    return new InternLm2Tokenizer(sp, byId, bosTok, eosTok, padTok);
  }

  private static String tokenName(JsonNode n, String dflt) {
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (n.isTextual()) {
      return n.asText();
    }
    return n.path("content").asText(dflt);
  }

  /** The sentencepiece part. */
  public SentencePieceBpe sentencePiece() {
    return sp;
  }

  @Override
  public long[] encode(String text) {
    List<Long> out = new ArrayList<>();
    int from = 0;
    int i = 0;
    while (i < text.length()) {
      String hit = null;
      for (String t : addedByLength) {
        if (text.startsWith(t, i)) {
          hit = t;
          break;
        }
      }
      if (hit == null) {
        i++;
        continue;
      }
      if (i > from) {
        for (int id : sp.encode(text.substring(from, i))) {
          out.add((long) id);
        }
      }
      out.add((long) added.get(hit));
      i += hit.length();
      from = i;
    }
    if (from < text.length()) {
      for (int id : sp.encode(text.substring(from))) {
        out.add((long) id);
      }
    }
    return out.stream().mapToLong(Long::longValue).toArray();
  }

  /**
   * {@code <s>} then {@link #encode}: the ids of the official tokenizer's {@code
   * tokenizer(text).input_ids}.
   */
  public long[] encodeWithBos(String text) {
    long[] body = encode(text);
    if (bos == null) {
      return body;
    }
    long[] out = new long[body.length + 1];
    out[0] = bos;
    System.arraycopy(body, 0, out, 1, body.length);
    return out;
  }

  @Override
  public String decode(long[] ids) {
    return decode(ids, false);
  }

  /**
   * Decodes; with {@code skipSpecial} the added tokens ({@code <s>}, {@code <|im_end|>}, ...) are
   * dropped.
   */
  public String decode(long[] ids, boolean skipSpecial) {
    StringBuilder sb = new StringBuilder();
    List<Integer> run = new ArrayList<>();
    for (long l : ids) {
      int id = (int) l;
      if (id < 0 || id >= vocabSize) {
        throw new BadInputException(
            "token id " + l + " is outside the vocabulary [0, " + vocabSize + ")");
      }
      String a = addedById.get(id);
      if (a != null) {
        if (!skipSpecial) {
          sb.append(sp.decode(run.stream().mapToInt(Integer::intValue).toArray()));
          run.clear();
          sb.append(a);
        }
        continue;
      }
      if (id >= sp.size()) {
        throw new BadInputException(
            "token id " + id + " is neither a sentencepiece piece nor an added token");
      }
      run.add(id);
    }
    sb.append(sp.decode(run.stream().mapToInt(Integer::intValue).toArray()));
    return sb.toString();
  }

  @Override
  public int vocabSize() {
    return vocabSize;
  }

  @Override
  public OptionalLong tokenId(String token) {
    Integer id = added.get(token);
    if (id == null) {
      int p = sp.pieceId(token);
      return p < 0 ? OptionalLong.empty() : OptionalLong.of(p);
    }
    return OptionalLong.of(id);
  }

  @Override
  public OptionalLong bosId() {
    return bos == null ? OptionalLong.empty() : OptionalLong.of(bos);
  }

  @Override
  public OptionalLong eosId() {
    return eos == null ? OptionalLong.empty() : OptionalLong.of(eos);
  }

  @Override
  public OptionalLong padId() {
    return pad == null ? OptionalLong.empty() : OptionalLong.of(pad);
  }
}
