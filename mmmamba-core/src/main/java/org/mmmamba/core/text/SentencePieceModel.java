package org.mmmamba.core.text;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mmmamba.core.BadInputException;

/**
 * A sentencepiece {@code tokenizer.model} (the serialized {@code sentencepiece.ModelProto}), read
 * with a small hand-written protobuf wire-format parser. Only the fields encoding needs are kept:
 *
 * <pre>
 * ModelProto      1: repeated SentencePiece pieces { 1: string piece, 2: float score, 3: Type type }
 *                 2: TrainerSpec { 3: model_type (1 unigram, 2 bpe, 3 word, 4 char), 35: byte_fallback }
 *                 3: NormalizerSpec { 1: name, 2: precompiled_charsmap, 3: add_dummy_prefix (default true),
 *                                     4: remove_extra_whitespaces (default true), 5: escape_whitespaces (default true) }
 * Type            1 NORMAL, 2 UNKNOWN, 3 CONTROL, 4 USER_DEFINED, 5 UNUSED, 6 BYTE
 * </pre>
 *
 * <p>Unknown fields are skipped (wire types 0, 1, 2, 5), so newer files with extra fields still
 * load.
 *
 * @param pieces the vocabulary in id order
 * @param modelType the TrainerSpec model_type (2 = BPE)
 * @param byteFallback whether unknown characters become {@code <0xXX>} byte pieces
 * @param normalizerName the NormalizerSpec name ("identity", "nmt_nfkc", ...)
 * @param hasCharsMap whether a precompiled normalisation map is present
 * @param addDummyPrefix whether a "▁" is put before the text
 * @param removeExtraWhitespaces whether leading/trailing spaces are dropped and runs of spaces
 *     collapsed
 * @param escapeWhitespaces whether spaces become "▁"
 */
public record SentencePieceModel(
    List<Piece> pieces,
    int modelType,
    boolean byteFallback,
    String normalizerName,
    boolean hasCharsMap,
    boolean addDummyPrefix,
    boolean removeExtraWhitespaces,
    boolean escapeWhitespaces) {

  /** TrainerSpec.model_type of a BPE model. */
  public static final int BPE = 2;

  /** The piece types of the proto. */
  public enum Type {
    NORMAL,
    UNKNOWN,
    CONTROL,
    USER_DEFINED,
    UNUSED,
    BYTE;

    static Type of(int v, String where) {
      if (v < 1 || v > 6) {
        throw new BadInputException(where + ": unknown sentencepiece piece type " + v);
      }
      return values()[v - 1];
    }
  }

  /** One vocabulary entry. */
  public record Piece(String text, float score, Type type) {}

  /** Defensive copy. */
  public SentencePieceModel {
    pieces = List.copyOf(pieces);
  }

  /** Reads and parses a {@code tokenizer.model} file. */
  public static SentencePieceModel read(Path file) {
    byte[] b;
    try {
      b = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new BadInputException(
          file + ": cannot read the sentencepiece model (" + e.getMessage() + ")");
    }
    return parse(b, file.toString());
  }

  /** Parses serialized ModelProto bytes; {@code where} names the source in errors. */
  public static SentencePieceModel parse(byte[] b, String where) {
    List<Piece> pieces = new ArrayList<>();
    int[] modelType = {1};
    boolean[] byteFallback = {false};
    String[] name = {""};
    boolean[] norm = {
      false, true, true, true
    }; // charsmap, dummy prefix, remove extra ws, escape ws
    Reader r = new Reader(b, 0, b.length, where);
    while (r.more()) {
      int tag = r.varint32();
      int field = tag >>> 3;
      int wire = tag & 7;
      if (field == 1 && wire == 2) {
        pieces.add(piece(r.sub(), where));
      } else if (field == 2 && wire == 2) {
        Reader t = r.sub();
        while (t.more()) {
          int tt = t.varint32();
          if ((tt >>> 3) == 3 && (tt & 7) == 0) {
            modelType[0] = (int) t.varint();
          } else if ((tt >>> 3) == 35 && (tt & 7) == 0) {
            byteFallback[0] = t.varint() != 0;
          } else {
            t.skip(tt & 7);
          }
        }
      } else if (field == 3 && wire == 2) {
        Reader n = r.sub();
        while (n.more()) {
          int nt = n.varint32();
          int f = nt >>> 3;
          if (f == 1 && (nt & 7) == 2) {
            name[0] = n.string();
          } else if (f == 2 && (nt & 7) == 2) {
            norm[0] = n.sub().length() > 0;
          } else if (f >= 3 && f <= 5 && (nt & 7) == 0) {
            norm[f - 2] = n.varint() != 0;
          } else {
            n.skip(nt & 7);
          }
        }
      } else {
        r.skip(wire);
      }
    }
    if (pieces.isEmpty()) {
      throw new BadInputException(where + ": not a sentencepiece model (no pieces)");
    }
    return new SentencePieceModel(
        pieces, modelType[0], byteFallback[0], name[0], norm[0], norm[1], norm[2], norm[3]);
  }

  private static Piece piece(Reader r, String where) {
    String text = null;
    float score = 0f;
    int type = 1;
    while (r.more()) {
      int tag = r.varint32();
      int f = tag >>> 3;
      int w = tag & 7;
      if (f == 1 && w == 2) {
        text = r.string();
      } else if (f == 2 && w == 5) {
        score = Float.intBitsToFloat(r.fixed32());
      } else if (f == 3 && w == 0) {
        type = (int) r.varint();
      } else {
        r.skip(w);
      }
    }
    if (text == null) {
      throw new BadInputException(where + ": a sentencepiece piece has no text");
    }
    return new Piece(text, score, Type.of(type, where));
  }

  /** Protobuf wire-format reader over b[pos, end). */
  private static final class Reader {
    private final byte[] b;
    private int pos;
    private final int end;
    private final String where;

    Reader(byte[] b, int pos, int end, String where) {
      this.b = b;
      this.pos = pos;
      this.end = end;
      this.where = where;
    }

    boolean more() {
      return pos < end;
    }

    int length() {
      return end - pos;
    }

    long varint() {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= end) {
          throw truncated();
        }
        int x = b[pos++] & 0xff;
        v |= (long) (x & 0x7f) << shift;
        if ((x & 0x80) == 0) {
          return v;
        }
      }
      throw new BadInputException(where + ": malformed varint in the sentencepiece model");
    }

    int varint32() {
      return (int) varint();
    }

    int fixed32() {
      if (pos + 4 > end) {
        throw truncated();
      }
      int v =
          (b[pos] & 0xff)
              | (b[pos + 1] & 0xff) << 8
              | (b[pos + 2] & 0xff) << 16
              | (b[pos + 3] & 0xff) << 24;
      pos += 4;
      return v;
    }

    Reader sub() {
      long n = varint();
      if (n < 0 || pos + n > end) {
        throw truncated();
      }
      Reader r = new Reader(b, pos, pos + (int) n, where);
      pos += (int) n;
      return r;
    }

    String string() {
      Reader s = sub();
      return new String(b, s.pos, s.end - s.pos, StandardCharsets.UTF_8);
    }

    void skip(int wire) {
      switch (wire) {
        case 0:
          varint();
          break;
        case 1:
          pos += 8;
          break;
        case 2:
          sub();
          break;
        case 5:
          pos += 4;
          break;
        default:
          throw new BadInputException(
              where + ": unsupported protobuf wire type " + wire + " in the sentencepiece model");
      }
      if (pos > end) {
        throw truncated();
      }
    }

    private BadInputException truncated() {
      return new BadInputException(where + ": truncated sentencepiece model");
    }
  }
}
