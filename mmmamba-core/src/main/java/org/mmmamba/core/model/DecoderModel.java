package org.mmmamba.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.IntFunction;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.LayerKind;
import org.mmmamba.core.config.Mamba2Config;
import org.mmmamba.core.config.ParamNames;
import org.mmmamba.core.nn.Attention;
import org.mmmamba.core.nn.LayerCache;
import org.mmmamba.core.nn.Mamba2Mixer;
import org.mmmamba.core.nn.Mixer;
import org.mmmamba.core.nn.RmsNorm;
import org.mmmamba.core.nn.Rope;
import org.mmmamba.core.nn.SwiGluMlp;

/**
 * A decoder-only language model: token embedding, a stack of {@link DecoderLayer}s (attention,
 * Mamba-2, or a mix: a hybrid student), final RMSNorm and LM head.
 *
 * <p>Shapes: ids (B, L) int64; hidden (B, L, D); logits (B, L, V). With a {@link ModelCache}, a
 * call continues the sequence (prefill, then one token at a time); without one, positions start at
 * 0 and nothing is kept.
 */
public final class DecoderModel implements AutoCloseable {
  private final DecoderConfig config;
  private final Weights weights;
  private final List<DecoderLayer> layers;
  private final IntFunction<DecoderConfig> layerDims;

  /**
   * Builds the layer objects over {@code weights} (which must hold every canonical tensor the
   * config needs).
   */
  public DecoderModel(DecoderConfig config, Weights weights) {
    this(config, weights, i -> config);
  }

  /**
   * As {@link #DecoderModel(DecoderConfig, Weights)}, with layer i built from {@code
   * layerDims.apply(i)} (its heads, KV heads, head dim, eps, RoPE and Mamba-2 dims; same kinds and
   * hidden size): for a published HoVLE checkpoint, whose embedding layers have settings of their
   * own ({@code VlmConfig#layerDims}). The final norm uses {@code config}'s eps.
   */
  public DecoderModel(DecoderConfig config, Weights weights, IntFunction<DecoderConfig> layerDims) {
    this.config = config;
    this.weights = weights;
    this.layerDims = layerDims;
    List<DecoderLayer> ls = new ArrayList<>();
    for (int i = 0; i < config.numLayers(); i++) {
      ls.add(buildLayer(i));
    }
    this.layers = Collections.unmodifiableList(ls);
  }

  private DecoderLayer buildLayer(int i) {
    DecoderConfig config = layerDims.apply(i);
    LayerKind kind = config.kind(i);
    Mixer mixer = kind == LayerKind.ATTENTION ? attention(config, i) : mamba(config, i);
    NDArray mlpNorm = null;
    SwiGluMlp mlp = null;
    if (config.hasMlp()) {
      mlpNorm = weights.get(ParamNames.mlpNorm(i));
      mlp =
          new SwiGluMlp(
              weights.get(ParamNames.mlp(i, "W_gate")),
              weights.get(ParamNames.mlp(i, "W_up")),
              weights.get(ParamNames.mlp(i, "W_down")));
    }
    return new DecoderLayer(
        kind, weights.get(ParamNames.attnNorm(i)), mixer, mlpNorm, mlp, config.rmsNormEps());
  }

  private Attention attention(DecoderConfig config, int i) {
    Rope rope = new Rope(config.ropeTheta(), config.ropeScaling(), config.headDim());
    return new Attention(
        w(ParamNames.attn(i, "W_Q")),
        w(ParamNames.attn(i, "W_K")),
        w(ParamNames.attn(i, "W_V")),
        w(ParamNames.attn(i, "W_O")),
        opt(ParamNames.attn(i, "b_Q")),
        opt(ParamNames.attn(i, "b_K")),
        opt(ParamNames.attn(i, "b_V")),
        opt(ParamNames.attn(i, "b_O")),
        config.numHeads(),
        config.numKvHeads(),
        config.headDim(),
        rope);
  }

  private Mamba2Mixer mamba(DecoderConfig config, int i) {
    Mamba2Config m = config.mamba();
    return new Mamba2Mixer(
        m,
        new Mamba2Mixer.Params(
            w(ParamNames.mamba(i, "W_x")),
            w(ParamNames.mamba(i, "W_B")),
            w(ParamNames.mamba(i, "W_C")),
            w(ParamNames.mamba(i, "W_G")),
            w(ParamNames.mamba(i, "W_dt")),
            w(ParamNames.mamba(i, "conv.weight")),
            m.convBias() ? w(ParamNames.mamba(i, "conv.bias")) : null,
            w(ParamNames.mamba(i, "dt_bias")),
            w(ParamNames.mamba(i, "A_log")),
            m.useD() ? w(ParamNames.mamba(i, "D")) : null,
            w(ParamNames.mamba(i, "norm.weight")),
            w(ParamNames.mamba(i, "W_O"))));
  }

  private NDArray w(String name) {
    return weights.get(name);
  }

  private NDArray opt(String name) {
    return weights.getOrNull(name);
  }

  /** The config. */
  public DecoderConfig config() {
    return config;
  }

  /** The parameters. */
  public Weights weights() {
    return weights;
  }

  /** The layers, in order. */
  public List<DecoderLayer> layers() {
    return layers;
  }

  /** Compute dtype. */
  public DataType dtype() {
    return weights.dtype();
  }

  /** Token ids (B, L) as an int64 array in {@code m}, checked against the vocabulary. */
  public NDArray ids(NDManager m, long[][] ids) {
    int b = ids.length;
    int l = b == 0 ? 0 : ids[0].length;
    long[] flat = new long[b * l];
    for (int i = 0; i < b; i++) {
      if (ids[i].length != l) {
        throw new BadInputException(
            "input_ids: row " + i + " has length " + ids[i].length + ", expected " + l);
      }
      for (int t = 0; t < l; t++) {
        long id = ids[i][t];
        if (id < 0 || id >= config.vocabSize()) {
          throw new BadInputException(
              "input_ids: token id "
                  + id
                  + " at row "
                  + i
                  + ", position "
                  + t
                  + " is outside the vocabulary [0, "
                  + config.vocabSize()
                  + ")");
        }
        flat[i * l + t] = id;
      }
    }
    return m.create(flat, new Shape(b, l));
  }

  /** Embedding lookup: (B, L) int64 -> (B, L, D). */
  public NDArray embed(NDArray ids) {
    return weights.get(ParamNames.EMBED).get(ids);
  }

  /** Runs all layers and the final norm: (B, L, D) embeddings -> (B, L, D) hidden states. */
  public NDArray hidden(NDArray embeds, ModelCache cache) {
    NDArray x = embeds;
    for (int i = 0; i < layers.size(); i++) {
      NDArray in = x;
      int li = i;
      // Each layer's temporaries are freed when it is done; only the hidden state flows on.
      x =
          org.mmmamba.core.nn.Scopes.keepOnly(
              () -> layers.get(li).forward(in, cache == null ? null : cache.layer(li)));
    }
    if (cache != null) {
      cache.advance((int) embeds.getShape().get(1));
    }
    return finalNorm(x);
  }

  /** The final RMSNorm. */
  public NDArray finalNorm(NDArray x) {
    return RmsNorm.apply(x, weights.get(ParamNames.FINAL_NORM), config.rmsNormEps());
  }

  /** The LM head matrix (V, D): the embedding table when tied. */
  public NDArray lmHead() {
    return config.tieWordEmbeddings()
        ? weights.get(ParamNames.EMBED)
        : weights.get(ParamNames.LM_HEAD);
  }

  /**
   * Logits (B, L, V) from hidden states (B, L, D). For long L and large V use {@link
   * #logitsChunked}.
   */
  public NDArray logits(NDArray hidden) {
    return Linear.linear(hidden, lmHead()).singletonOrThrow();
  }

  /**
   * Logits computed {@code chunk} positions at a time and handed to {@code sink} with the chunk's
   * start position, so (B, L, V) is never materialised (V = 92,553 at HoVLE scale).
   */
  public void logitsChunked(NDArray hidden, int chunk, ChunkSink sink) {
    long l = hidden.getShape().get(1);
    for (long s = 0; s < l; s += chunk) {
      long e = Math.min(l, s + chunk);
      try (NDManager scope = hidden.getManager().newSubManager()) {
        NDArray part = hidden.get(scope, new ai.djl.ndarray.index.NDIndex(":, {}:{}", s, e));
        sink.accept((int) s, logits(part));
      }
    }
  }

  /** Receives one chunk of logits (B, chunkLen, V); the array is freed after the call returns. */
  @FunctionalInterface
  public interface ChunkSink {
    /** Handles logits for positions [start, start + chunkLen). */
    void accept(int start, NDArray logits);
  }

  /** Full forward to logits (B, L, V), no cache. */
  public NDArray forward(NDArray ids) {
    return logits(hidden(embed(ids), null));
  }

  /** A fresh cache for {@code batch} sequences; {@code capacity} pre-sizes attention KV caches. */
  public ModelCache newCache(NDManager m, int batch, int capacity) {
    List<LayerCache> cs = new ArrayList<>();
    for (DecoderLayer layer : layers) {
      cs.add(layer.mixer().newCache(m, batch, capacity, dtype()));
    }
    return new ModelCache(cs);
  }

  /** Logits of the last position only (B, V): what decoding needs. */
  public NDArray lastLogits(NDArray hidden) {
    long l = hidden.getShape().get(1);
    NDArray last = hidden.get(":, {}:{}, :", l - 1, l);
    return logits(last).squeeze(1);
  }

  @Override
  public void close() {
    weights.close();
  }
}
