package org.mmmamba.core.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.mmmamba.core.BadInputException;

/**
 * A decoder-only language model: embeddings, layers (attention or Mamba-2 mixers, with or without a
 * SwiGLU MLP), final RMSNorm and LM head.
 *
 * <p>Shape glossary used across the runtime: B batch, L length, D = hiddenSize, H = numHeads, G =
 * numKvHeads, P = headDim, V = vocabSize.
 *
 * @param family checkpoint family (decides weight names)
 * @param vocabSize V
 * @param hiddenSize D
 * @param numLayers number of decoder layers
 * @param numHeads H (attention query heads; also the Mamba-2 heads of converted layers)
 * @param numKvHeads G
 * @param headDim P
 * @param intermediateSize SwiGLU width (0 when {@code hasMlp} is false)
 * @param rmsNormEps epsilon of every RMSNorm
 * @param ropeTheta RoPE base
 * @param ropeScaling RoPE scaling rule
 * @param maxPositionEmbeddings trained context (informational, and the dynamic-NTK threshold)
 * @param tieWordEmbeddings LM head shares the embedding table
 * @param qkvBias attention q/k/v projections have biases (Qwen2, InternLM2 with bias=true)
 * @param oBias attention output projection has a bias
 * @param mamba Mamba-2 mixer dims, required when any layer is {@link LayerKind#MAMBA2}
 * @param layerKinds per-layer mixer kind, size {@code numLayers}
 * @param hasMlp layers have a SwiGLU MLP block (false for HF Mamba2)
 * @param bosTokenId beginning-of-sequence id or null
 * @param eosTokenIds end ids (may be empty)
 * @param padTokenId padding id or null
 */
public record DecoderConfig(
    ModelFamily family,
    int vocabSize,
    int hiddenSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    int intermediateSize,
    double rmsNormEps,
    double ropeTheta,
    RopeScaling ropeScaling,
    int maxPositionEmbeddings,
    boolean tieWordEmbeddings,
    boolean qkvBias,
    boolean oBias,
    Mamba2Config mamba,
    List<LayerKind> layerKinds,
    boolean hasMlp,
    Integer bosTokenId,
    List<Integer> eosTokenIds,
    Integer padTokenId) {

  /** Defensive copies of the lists. */
  public DecoderConfig {
    layerKinds = List.copyOf(layerKinds);
    eosTokenIds = eosTokenIds == null ? List.of() : List.copyOf(eosTokenIds);
    ropeScaling = ropeScaling == null ? RopeScaling.none() : ropeScaling;
  }

  /** A small all-attention Llama-style config, handy for tests and synthetic models. */
  public static DecoderConfig llama(
      int vocab, int hidden, int layers, int heads, int kvHeads, int headDim, int intermediate) {
    return new DecoderConfig(
        ModelFamily.LLAMA,
        vocab,
        hidden,
        layers,
        heads,
        kvHeads,
        headDim,
        intermediate,
        1e-5,
        10000.0,
        RopeScaling.none(),
        4096,
        false,
        false,
        false,
        null,
        Collections.nCopies(layers, LayerKind.ATTENTION),
        true,
        null,
        List.of(),
        null);
  }

  /** Kind of layer {@code i}. */
  public LayerKind kind(int i) {
    return layerKinds.get(i);
  }

  /** Indices of attention layers. */
  public List<Integer> attentionLayers() {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < numLayers; i++) {
      if (layerKinds.get(i) == LayerKind.ATTENTION) {
        out.add(i);
      }
    }
    return out;
  }

  /** True if at least one layer is Mamba-2. */
  public boolean hasMamba() {
    return layerKinds.contains(LayerKind.MAMBA2);
  }

  /** A copy with other layer kinds and mixer dims (used when converting a teacher to a student). */
  public DecoderConfig withLayers(ModelFamily fam, List<LayerKind> kinds, Mamba2Config m) {
    return new DecoderConfig(
        fam,
        vocabSize,
        hiddenSize,
        numLayers,
        numHeads,
        numKvHeads,
        headDim,
        intermediateSize,
        rmsNormEps,
        ropeTheta,
        ropeScaling,
        maxPositionEmbeddings,
        tieWordEmbeddings,
        qkvBias,
        oBias,
        m,
        kinds,
        hasMlp,
        bosTokenId,
        eosTokenIds,
        padTokenId);
  }

  /** A copy with another family (weight naming). */
  public DecoderConfig withFamily(ModelFamily fam) {
    return withLayers(fam, layerKinds, mamba);
  }

  /** Checks every field; the message names the field and {@code where} (usually the file). */
  public DecoderConfig validate(String where) {
    if (family == null) {
      throw new BadInputException(where + ": model family is missing");
    }
    positive(where, "vocab_size", vocabSize);
    positive(where, "hidden_size", hiddenSize);
    positive(where, "num_hidden_layers", numLayers);
    if (layerKinds.size() != numLayers) {
      throw new BadInputException(
          where
              + ": layers_block_type has "
              + layerKinds.size()
              + " entries, expected "
              + numLayers);
    }
    boolean anyAttention = layerKinds.contains(LayerKind.ATTENTION);
    if (anyAttention || family != ModelFamily.MAMBA2) {
      positive(where, "num_attention_heads", numHeads);
      positive(where, "num_key_value_heads", numKvHeads);
      positive(where, "head_dim", headDim);
      if (numHeads % numKvHeads != 0) {
        throw new BadInputException(
            where
                + ": num_attention_heads "
                + numHeads
                + " is not a multiple of num_key_value_heads "
                + numKvHeads);
      }
      if (anyAttention && headDim % 2 != 0) {
        throw new BadInputException(where + ": head_dim must be even for RoPE, got " + headDim);
      }
      if (!(ropeTheta > 0)) {
        throw new BadInputException(where + ": rope_theta must be > 0, got " + ropeTheta);
      }
      ropeScaling.validate(where);
    }
    if (hasMlp) {
      positive(where, "intermediate_size", intermediateSize);
    }
    if (!(rmsNormEps > 0)) {
      throw new BadInputException(where + ": rms_norm_eps must be > 0, got " + rmsNormEps);
    }
    if (hasMamba()) {
      if (mamba == null) {
        throw new BadInputException(where + ": Mamba-2 layers need Mamba-2 dimensions");
      }
      mamba.validate(where);
    }
    checkId(where, "bos_token_id", bosTokenId);
    checkId(where, "pad_token_id", padTokenId);
    for (Integer e : eosTokenIds) {
      checkId(where, "eos_token_id", e);
    }
    return this;
  }

  private void checkId(String where, String key, Integer id) {
    if (id != null && (id < 0 || id >= vocabSize)) {
      throw new BadInputException(
          where + ": " + key + " " + id + " is outside the vocabulary [0, " + vocabSize + ")");
    }
  }

  private static void positive(String where, String key, int v) {
    if (v <= 0) {
      throw new BadInputException(where + ": " + key + " must be > 0, got " + v);
    }
  }
}
