package org.mmmamba.core.text;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.text.SentencePieceModel.Piece;
import org.mmmamba.core.text.SentencePieceModel.Type;

/**
 * Sentencepiece BPE encoding and decoding of plain text (no added tokens; see {@link
 * InternLm2Tokenizer}), as sentencepiece's {@code bpe_model.cc} does it:
 *
 * <ol>
 *   <li>normalise: NFKC when the model's normaliser is an NFKC one (an approximation of its
 *       precompiled map), drop leading/trailing spaces and collapse runs when {@code
 *       remove_extra_whitespaces}, put one space first when {@code add_dummy_prefix}, spaces to "▁"
 *       when {@code escape_whitespaces};
 *   <li>split into symbols: a user-defined piece (longest match) or one code point;
 *   <li>repeatedly merge the adjacent pair whose concatenation is a normal or user-defined piece of
 *       highest score, the leftmost on ties;
 *   <li>map each symbol to its id; a symbol not in the vocabulary becomes its UTF-8 bytes as {@code
 *       <0xXX>} pieces (byte fallback) or {@code <unk>}.
 * </ol>
 *
 * <p>Merging is quadratic in the length of one text run (the runs between added tokens); fine for
 * prompts of thousands of characters.
 */
public final class SentencePieceBpe {
  private static final char SPACE = '\u2581';
  private final SentencePieceModel model;
  private final Map<String, Integer> mergeable = new HashMap<>();
  private final List<String> userDefined = new ArrayList<>();
  private final int[] byteIds = new int[256];
  private final int unkId;

  /**
   * @throws BadInputException if the model is not a BPE model
   */
  public SentencePieceBpe(SentencePieceModel model, String where) {
    if (model.modelType() != SentencePieceModel.BPE) {
      throw new BadInputException(
          where
              + ": sentencepiece model_type "
              + model.modelType()
              + " is not supported (BPE = 2 only)");
    }
    this.model = model;
    java.util.Arrays.fill(byteIds, -1);
    int unk = -1;
    List<Piece> ps = model.pieces();
    for (int i = 0; i < ps.size(); i++) {
      Piece p = ps.get(i);
      switch (p.type()) {
        case NORMAL:
          mergeable.putIfAbsent(p.text(), i);
          break;
        case USER_DEFINED:
          mergeable.putIfAbsent(p.text(), i);
          userDefined.add(p.text());
          break;
        case UNKNOWN:
          unk = i;
          break;
        case BYTE:
          int v = byteValue(p.text());
          if (v >= 0) {
            byteIds[v] = i;
          }
          break;
        default:
          break;
      }
    }
    if (unk < 0) {
      throw new BadInputException(where + ": the sentencepiece model has no <unk> piece");
    }
    this.unkId = unk;
    userDefined.sort((a, b) -> b.length() - a.length());
  }

  /** The model. */
  public SentencePieceModel model() {
    return model;
  }

  /** Number of pieces. */
  public int size() {
    return model.pieces().size();
  }

  /** The id of a piece text, or -1. */
  public int pieceId(String text) {
    Integer id = mergeable.get(text);
    if (id != null) {
      return id;
    }
    List<Piece> ps = model.pieces();
    for (int i = 0; i < ps.size(); i++) {
      if (ps.get(i).text().equals(text)) {
        return i;
      }
    }
    return -1;
  }

  /** The normalised text the merges run on ("▁" for spaces, dummy prefix added). */
  public String normalise(String text) {
    String s = text;
    String n = model.normalizerName().toLowerCase(java.util.Locale.ROOT);
    if (model.hasCharsMap() && n.contains("nfkc")) {
      s = Normalizer.normalize(s, Normalizer.Form.NFKC);
    }
    if (model.removeExtraWhitespaces()) {
      StringBuilder sb = new StringBuilder();
      boolean pendingSpace = false;
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c == ' ') {
          pendingSpace = sb.length() > 0;
        } else {
          if (pendingSpace) {
            sb.append(' ');
            pendingSpace = false;
          }
          sb.append(c);
        }
      }
      s = sb.toString();
    }
    if (s.isEmpty()) {
      return s;
    }
    if (model.addDummyPrefix()) {
      s = " " + s;
    }
    return model.escapeWhitespaces() ? s.replace(' ', SPACE) : s;
  }

  /** Encodes plain text (no special tokens are recognised, nothing added). */
  public int[] encode(String text) {
    String s = normalise(text);
    List<String> sym = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      String ud = null;
      for (String u : userDefined) {
        if (s.startsWith(u, i)) {
          ud = u;
          break;
        }
      }
      if (ud != null) {
        sym.add(ud);
        i += ud.length();
      } else {
        int cp = s.codePointAt(i);
        int n = Character.charCount(cp);
        sym.add(s.substring(i, i + n));
        i += n;
      }
    }
    List<Piece> ps = model.pieces();
    while (sym.size() > 1) {
      int best = -1;
      float bestScore = Float.NEGATIVE_INFINITY;
      for (int k = 0; k + 1 < sym.size(); k++) {
        Integer id = mergeable.get(sym.get(k) + sym.get(k + 1));
        if (id != null) {
          float sc = ps.get(id).score();
          if (best < 0 || sc > bestScore) {
            best = k;
            bestScore = sc;
          }
        }
      }
      if (best < 0) {
        break;
      }
      sym.set(best, sym.get(best) + sym.get(best + 1));
      sym.remove(best + 1);
    }
    List<Integer> out = new ArrayList<>();
    for (String t : sym) {
      Integer id = mergeable.get(t);
      if (id != null) {
        out.add(id);
      } else if (model.byteFallback()) {
        for (byte b : t.getBytes(StandardCharsets.UTF_8)) {
          int bid = byteIds[b & 0xff];
          out.add(bid >= 0 ? bid : unkId);
        }
      } else {
        out.add(unkId);
      }
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * Decodes piece ids to text: byte pieces joined as UTF-8, "▁" back to spaces, the dummy-prefix
   * space removed; control pieces give nothing, {@code <unk>} gives " ⁇ ".
   */
  public String decode(int[] ids) {
    StringBuilder sb = new StringBuilder();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    List<Piece> ps = model.pieces();
    for (int id : ids) {
      if (id < 0 || id >= ps.size()) {
        throw new BadInputException(
            "token id " + id + " is outside the sentencepiece vocabulary [0, " + ps.size() + ")");
      }
      Piece p = ps.get(id);
      if (p.type() == Type.BYTE) {
        bytes.write(byteValue(p.text()));
        continue;
      }
      flush(bytes, sb);
      if (p.type() == Type.CONTROL) {
        continue;
      }
      sb.append(p.type() == Type.UNKNOWN ? " \u2047 " : p.text().replace(SPACE, ' '));
    }
    flush(bytes, sb);
    if (model.addDummyPrefix() && sb.length() > 0 && sb.charAt(0) == ' ') {
      sb.deleteCharAt(0);
    }
    return sb.toString();
  }

  private static void flush(ByteArrayOutputStream bytes, StringBuilder sb) {
    if (bytes.size() > 0) {
      sb.append(new String(bytes.toByteArray(), StandardCharsets.UTF_8));
      bytes.reset();
    }
  }

  private static int byteValue(String piece) {
    if (piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
      try {
        return Integer.parseInt(piece.substring(3, 5), 16);
      } catch (NumberFormatException e) {
        return -1;
      }
    }
    return -1;
  }
}
