package org.mmmamba.core.text;

import java.util.List;
import java.util.Objects;
import org.mmmamba.core.BadInputException;

/**
 * Encodes a conversation through a {@link ChatTemplate} and a {@link Tokenizer} into ids, a label
 * mask and the positions of the image tokens (docs/method.md §6).
 *
 * <p>Each template segment is tokenised on its own and the pieces are concatenated, so no token
 * straddles a prompt/answer boundary and the label mask is exact. Each {@code <image>} placeholder
 * is replaced by the ids of {@code <img>}, {@code tokensPerTile * tiles} x {@code <IMG_CONTEXT>}
 * and {@code </img>} directly, which equals tokenising {@link ImagePlaceholders#expand}'s text
 * whenever those three are added tokens (as they are in InternVL/HoVLE tokenizers; HF tokenizers
 * split on added tokens before anything else). Whole-conversation tokenisation (what InternVL does)
 * can differ from per-segment tokenisation for BPE vocabularies at a segment boundary; for
 * word-level vocabularies the two are identical.
 */
public final class PromptBuilder {
  private final Tokenizer tokenizer;
  private final ChatTemplate template;
  private final int tokensPerTile;

  /**
   * Creates a builder.
   *
   * @param tokenizer the tokenizer
   * @param template the chat template
   * @param tokensPerTile image tokens per tile (HoVLE: 256)
   */
  public PromptBuilder(Tokenizer tokenizer, ChatTemplate template, int tokensPerTile) {
    this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    this.template = Objects.requireNonNull(template, "template");
    if (tokensPerTile < 1) {
      throw new IllegalArgumentException("tokensPerTile must be positive: " + tokensPerTile);
    }
    this.tokensPerTile = tokensPerTile;
  }

  /**
   * @return the chat template in use
   */
  public ChatTemplate template() {
    return template;
  }

  /**
   * Encodes a conversation with at most one image.
   *
   * @param messages the conversation
   * @param numTiles tiles of the image (thumbnail included), 0 when there is no image
   * @return the encoding
   * @throws BadInputException on a placeholder/image mismatch, bad role order, or a tokenizer
   *     lacking the image tokens
   */
  public Encoded encode(List<ChatMessage> messages, int numTiles) {
    return encode(messages, numTiles == 0 ? new int[0] : new int[] {numTiles});
  }

  /**
   * Encodes a conversation with any number of images.
   *
   * @param messages the conversation
   * @param tilesPerImage tiles of each image, in placeholder order
   * @return the encoding
   * @throws BadInputException on a placeholder/image mismatch, bad role order, or a tokenizer
   *     lacking the image tokens
   */
  public Encoded encode(List<ChatMessage> messages, int[] tilesPerImage) {
    List<Segment> segments = template.render(messages);
    int placeholders = 0;
    for (Segment s : segments) {
      placeholders += ImagePlaceholders.count(s.text());
    }
    if (placeholders != tilesPerImage.length) {
      throw new BadInputException(
          "conversation has "
              + placeholders
              + " "
              + ImagePlaceholders.IMAGE
              + " placeholder(s) but "
              + tilesPerImage.length
              + " image(s) were given");
    }
    long imgStart = 0;
    long imgEnd = 0;
    long imgContext = 0;
    if (tilesPerImage.length > 0) {
      imgStart = required(ImagePlaceholders.IMG_START);
      imgEnd = required(ImagePlaceholders.IMG_END);
      imgContext = required(ImagePlaceholders.IMG_CONTEXT);
    }
    LongList ids = new LongList();
    BoolList mask = new BoolList();
    IntList ctx = new IntList();
    int image = 0;
    for (Segment s : segments) {
      String text = s.text();
      int from = 0;
      while (true) {
        int at = text.indexOf(ImagePlaceholders.IMAGE, from);
        String piece = at < 0 ? text.substring(from) : text.substring(from, at);
        if (!piece.isEmpty()) {
          for (long id : tokenizer.encode(piece)) {
            ids.add(id);
            mask.add(s.answer());
          }
        }
        if (at < 0) {
          break;
        }
        int n = tokensPerTile * tilesPerImage[image++];
        ids.add(imgStart);
        mask.add(s.answer());
        for (int k = 0; k < n; k++) {
          ctx.add(ids.size());
          ids.add(imgContext);
          mask.add(s.answer());
        }
        ids.add(imgEnd);
        mask.add(s.answer());
        from = at + ImagePlaceholders.IMAGE.length();
      }
    }
    return new Encoded(ids.toArray(), mask.toArray(), ctx.toArray());
  }

  private long required(String token) {
    return tokenizer
        .tokenId(token)
        .orElseThrow(() -> new BadInputException("tokenizer has no " + token + " token"));
  }

  /** Growable long array. */
  private static final class LongList {
    private long[] a = new long[64];
    private int n;

    void add(long v) {
      if (n == a.length) {
        a = java.util.Arrays.copyOf(a, 2 * n);
      }
      a[n++] = v;
    }

    int size() {
      return n;
    }

    long[] toArray() {
      return java.util.Arrays.copyOf(a, n);
    }
  }

  /** Growable boolean array. */
  private static final class BoolList {
    private boolean[] a = new boolean[64];
    private int n;

    void add(boolean v) {
      if (n == a.length) {
        a = java.util.Arrays.copyOf(a, 2 * n);
      }
      a[n++] = v;
    }

    boolean[] toArray() {
      return java.util.Arrays.copyOf(a, n);
    }
  }

  /** Growable int array. */
  private static final class IntList {
    private int[] a = new int[64];
    private int n;

    void add(int v) {
      if (n == a.length) {
        a = java.util.Arrays.copyOf(a, 2 * n);
      }
      a[n++] = v;
    }

    int[] toArray() {
      return java.util.Arrays.copyOf(a, n);
    }
  }
}
