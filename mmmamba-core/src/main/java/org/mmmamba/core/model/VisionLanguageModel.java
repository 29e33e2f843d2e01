package org.mmmamba.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.VlmConfig;

/**
 * A HoVLE-style decoder-only vision-language model (docs/method.md §1, §6): {@link VisionEmbedding}
 * makes image tokens, {@link #inputEmbeds} splices them into the text embeddings at the {@code
 * <IMG_CONTEXT>} positions, and one {@link DecoderModel} runs the joint sequence through the
 * embedding module's layers and the LLM's layers (global indices 0..n-1, positions 0..L-1
 * throughout), then the LLM's final norm and LM head.
 *
 * <p>Weights: the decoder's {@link Weights} hold the joint stack ({@code embed.weight} = the
 * embedding module's own text table, {@code layers.*}, {@code final_norm.weight}, {@code
 * lm_head.weight}); a separate vision store holds {@code vision.*} and the LLM's own token table
 * {@code llm.tok_embeddings.weight}, which the multimodal path never reads but a checkpoint must
 * keep.
 *
 * <p>Ownership: a model built with the public constructor owns both stores and closes them. A
 * student built with {@link #withDecoder} owns only its decoder and <em>borrows</em> the vision
 * store: closing the student closes its decoder only; the model it was made from must stay open
 * while the student is used (and closing it frees the shared vision weights).
 *
 * <p>Shapes: B batch, L length, D hidden, V vocab, T_i tiles of sample i, S tile side.
 */
public final class VisionLanguageModel implements AutoCloseable {
  private final VlmConfig config;
  private final Weights visionWeights;
  private final VisionEmbedding vision;
  private final DecoderModel decoder;
  private final boolean ownsVision;

  /**
   * A model owning {@code visionWeights} and {@code decoder} (both are closed by {@link #close}).
   *
   * @throws BadInputException if the decoder or the vision tensors do not fit {@code config}
   */
  public VisionLanguageModel(VlmConfig config, Weights visionWeights, DecoderModel decoder) {
    this(config, visionWeights, decoder, true);
  }

  private VisionLanguageModel(
      VlmConfig config, Weights visionWeights, DecoderModel decoder, boolean ownsVision) {
    checkFits(config.stack(), decoder.config());
    if (visionWeights.dtype() != decoder.dtype()) {
      throw new BadInputException(
          "vision weights are " + visionWeights.dtype() + " but the decoder is " + decoder.dtype());
    }
    this.config = config;
    this.visionWeights = visionWeights;
    this.vision = new VisionEmbedding(config, visionWeights);
    this.decoder = decoder;
    this.ownsVision = ownsVision;
  }

  /**
   * A model with another joint stack (a student: e.g. Mamba-2 layers seeded from this model's
   * attention layers) sharing this model's vision store. The result owns {@code student} and
   * borrows the vision weights: see the class comment.
   */
  public VisionLanguageModel withDecoder(DecoderModel student) {
    checkFits(config.stack(), student.config());
    VlmConfig c = config.withStack(student.config()).validate("student decoder");
    return new VisionLanguageModel(c, visionWeights, student, false);
  }

  private static void checkFits(DecoderConfig s, DecoderConfig d) {
    if (d.numLayers() != s.numLayers()
        || d.hiddenSize() != s.hiddenSize()
        || d.vocabSize() != s.vocabSize()) {
      throw new BadInputException(
          "decoder ("
              + d.numLayers()
              + " layers, hidden "
              + d.hiddenSize()
              + ", vocab "
              + d.vocabSize()
              + ") does not fit the vision-language model ("
              + s.numLayers()
              + " layers, hidden "
              + s.hiddenSize()
              + ", vocab "
              + s.vocabSize()
              + ")");
    }
  }

  /** The config (its stack is the decoder's config, family-normalised). */
  public VlmConfig config() {
    return config;
  }

  /** The image-token maker. */
  public VisionEmbedding vision() {
    return vision;
  }

  /** The vision store ({@code vision.*}, {@code llm.tok_embeddings.weight}). */
  public Weights visionWeights() {
    return visionWeights;
  }

  /** The joint decoder stack; {@code decoder().layers()} for layer-by-layer distillation. */
  public DecoderModel decoder() {
    return decoder;
  }

  /** True if {@link #close} also frees the vision store. */
  public boolean ownsVision() {
    return ownsVision;
  }

  /**
   * Every canonical tensor of the model: the vision store's, then the decoder's (names are
   * disjoint).
   */
  public Map<String, NDArray> parameters() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (String n : visionWeights.names()) {
      out.put(n, visionWeights.get(n));
    }
    for (String n : decoder.weights().names()) {
      out.put(n, decoder.weights().get(n));
    }
    return Collections.unmodifiableMap(out);
  }

  /** Token ids (B, L) as an int64 array in {@code m}, checked against the vocabulary. */
  public NDArray ids(NDManager m, long[][] ids) {
    return decoder.ids(m, ids);
  }

  /**
   * Image tokens for all tiles of all samples, in order: (sum_i T_i * tokens_i, D); null entries
   * are skipped.
   */
  public NDArray imageTokens(List<NDArray> pixelsPerSample) {
    NDList parts = new NDList();
    for (int i = 0; i < pixelsPerSample.size(); i++) {
      NDArray p = pixelsPerSample.get(i);
      if (p != null) {
        NDArray tok = vision.embed(p);
        Shape s = tok.getShape();
        parts.add(tok.reshape(s.get(0) * s.get(1), s.get(2)));
      }
    }
    if (parts.isEmpty()) {
      return null;
    }
    return parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0);
  }

  /**
   * The joint input embeddings (B, L, D): text embeddings from the embedding module's table, with
   * the {@code <IMG_CONTEXT>} positions of sample i replaced, in order, by the image tokens of its
   * tiles.
   *
   * <p>The splice is one differentiable gather: rows of [text (B*L, D) ; image tokens (M, D)]
   * picked by an index built on the host, so gradients reach both the text table and the vision
   * weights.
   *
   * @param ids (B, L) int64 token ids
   * @param pixelsPerSample null (text only), or one entry per sample: null, or normalised tiles
   *     (T_i, C, S, S)
   * @throws BadInputException naming the sample if its number of {@code <IMG_CONTEXT>} tokens is
   *     not T_i * tokens per tile, or its pixels have a bad shape
   */
  public NDArray inputEmbeds(NDArray ids, List<NDArray> pixelsPerSample) {
    Shape is = ids.getShape();
    if (is.dimension() != 2) {
      throw new BadInputException("input_ids: expected (B, L), got " + is);
    }
    int b = (int) is.get(0);
    int l = (int) is.get(1);
    if (pixelsPerSample != null && pixelsPerSample.size() != b) {
      throw new BadInputException(
          "pixels: " + pixelsPerSample.size() + " entries for a batch of " + b + " samples");
    }
    List<NDArray> pixels = pixelsPerSample == null ? Collections.nCopies(b, null) : pixelsPerSample;
    long[] host = ids.toLongArray();
    long ctx = config.imgContextTokenId();
    int total = 0;
    int[] counts = new int[b];
    for (int i = 0; i < b; i++) {
      for (int t = 0; t < l; t++) {
        if (host[i * l + t] == ctx) {
          counts[i]++;
        }
      }
      NDArray p = pixels.get(i);
      int expected = 0;
      String have = "no image";
      if (p != null) {
        int g = vision.checkPixels(p, "pixels of sample " + i);
        long tiles = p.getShape().get(0);
        int perTile = (g / 2) * (g / 2);
        expected = (int) (tiles * perTile);
        have = tiles + " tile(s) x " + perTile + " image tokens = " + expected;
      }
      if (counts[i] != expected) {
        throw new BadInputException(
            "sample "
                + i
                + ": "
                + counts[i]
                + " <IMG_CONTEXT> tokens (id "
                + ctx
                + ") in input_ids but "
                + have);
      }
      total += expected;
    }
    NDArray text = decoder.embed(ids); // (B, L, D)
    if (total == 0) {
      return text;
    }
    long d = config.hiddenSize();
    NDArray image = imageTokens(pixels); // (total, D)
    NDArray rows = text.reshape((long) b * l, d).concat(image, 0); // [text ; image]
    long[] index = new long[b * l];
    long next = (long) b * l;
    for (int k = 0; k < index.length; k++) {
      index[k] = host[k] == ctx ? next++ : k;
    }
    NDArray idx = ids.getManager().create(index);
    return rows.get(idx).reshape(b, l, d);
  }

  /** Runs the joint stack and the final norm: (B, L, D) embeddings -> (B, L, D) hidden states. */
  public NDArray hidden(NDArray embeds, ModelCache cache) {
    return decoder.hidden(embeds, cache);
  }

  /** Logits (B, L, V) of input embeddings; with a cache the call continues the sequence. */
  public NDArray logits(NDArray embeds, ModelCache cache) {
    return decoder.logits(decoder.hidden(embeds, cache));
  }

  /** Full forward to logits (B, L, V), no cache. */
  public NDArray forward(NDArray ids, List<NDArray> pixelsPerSample) {
    return logits(inputEmbeds(ids, pixelsPerSample), null);
  }

  /** A fresh decode cache (see {@link DecoderModel#newCache}). */
  public ModelCache newCache(NDManager m, int batch, int capacity) {
    return decoder.newCache(m, batch, capacity);
  }

  /** Closes the decoder, and the vision store if this model owns it. */
  @Override
  public void close() {
    decoder.close();
    if (ownsVision) {
      visionWeights.close();
    }
  }
}
