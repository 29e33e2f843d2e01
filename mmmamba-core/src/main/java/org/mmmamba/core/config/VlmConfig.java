package org.mmmamba.core.config;

import java.util.List;
import org.mmmamba.core.BadInputException;

/**
 * A HoVLE-style decoder-only vision-language model (docs/method.md §1, §6): a patch embedding, a
 * 0.5 pixel shuffle and an MLP projector make image tokens; they replace the {@code <IMG_CONTEXT>}
 * placeholders among the text embeddings, and the joint sequence runs through one stack of decoder
 * layers: the holistic embedding module's {@code numEmbeddingLayers} layers followed by the LLM's
 * layers, numbered globally 0..numLayers-1.
 *
 * <p>Shapes: S = {@code imageSize} (tile side), p = {@code patchSize}, g = S / p patches per side,
 * N = g^2 patches per tile, D = {@code stack.hiddenSize()}, one tile gives {@link #tokensPerTile()}
 * = (g / 2)^2 tokens.
 *
 * <p>The stack's family is normalised to {@link ModelFamily#MMMAMBA} when any layer is Mamba-2 and
 * to {@link ModelFamily#INTERNLM2} otherwise (the two InternLM2 layouts; they differ only in
 * naming), and its Mamba-2 dims are dropped when no layer is Mamba-2, so that a config equals
 * itself read back from JSON.
 *
 * @param imageSize S, the side of the square tile the position embeddings were trained for
 * @param patchSize p, kernel = stride of the patch convolution
 * @param channels pixel channels (3)
 * @param downsampleRatio pixel-shuffle ratio; only 0.5 is supported
 * @param numEmbeddingLayers E, layers of the holistic embedding module (global layers 0..E-1)
 * @param stack the joint decoder (E embedding layers + the LLM's layers); its embedding table is
 *     the embedding module's text table, its final norm and LM head the LLM's
 * @param imgContextTokenId the {@code <IMG_CONTEXT>} placeholder id
 * @param imgStartTokenId the {@code <img>} id
 * @param imgEndTokenId the {@code </img>} id
 * @param embeddingDims null when the embedding module's layers have the stack's dims, norm eps and
 *     RoPE (the project's own layout); else the published HoVLE {@code embedding_config} as a
 *     decoder config of E layers, whose heads, KV heads, head dim, MLP width, eps and RoPE settings
 *     govern global layers 0..E-1 ({@link #layerDims}); the stack's own values are the LLM's
 */
public record VlmConfig(
    int imageSize,
    int patchSize,
    int channels,
    double downsampleRatio,
    int numEmbeddingLayers,
    DecoderConfig stack,
    int imgContextTokenId,
    int imgStartTokenId,
    int imgEndTokenId,
    DecoderConfig embeddingDims) {

  /** A config whose embedding layers share the stack's dims (the project's own layout). */
  public VlmConfig(
      int imageSize,
      int patchSize,
      int channels,
      double downsampleRatio,
      int numEmbeddingLayers,
      DecoderConfig stack,
      int imgContextTokenId,
      int imgStartTokenId,
      int imgEndTokenId) {
    this(
        imageSize,
        patchSize,
        channels,
        downsampleRatio,
        numEmbeddingLayers,
        stack,
        imgContextTokenId,
        imgStartTokenId,
        imgEndTokenId,
        null);
  }

  /** Normalises the stack's family (see the class comment). */
  public VlmConfig {
    if (stack != null
        && (stack.family() == ModelFamily.INTERNLM2 || stack.family() == ModelFamily.MMMAMBA)) {
      boolean mamba = stack.hasMamba();
      ModelFamily fam = mamba ? ModelFamily.MMMAMBA : ModelFamily.INTERNLM2;
      if (fam != stack.family() || (!mamba && stack.mamba() != null)) {
        stack = stack.withLayers(fam, stack.layerKinds(), mamba ? stack.mamba() : null);
      }
    }
  }

  /** g = S / p, patches per tile side. */
  public int grid() {
    return imageSize / patchSize;
  }

  /** N = g^2, patches per tile (the stored position table has N + 1 rows). */
  public int numPatches() {
    return grid() * grid();
  }

  /** Image tokens per tile of side S: (g * downsampleRatio)^2, 256 for HoVLE. */
  public int tokensPerTile() {
    return tokensPerTile(imageSize);
  }

  /** Image tokens per tile of another side (position embeddings are then interpolated). */
  public int tokensPerTile(int side) {
    int half = (int) Math.round(side / patchSize * downsampleRatio);
    return half * half;
  }

  /** Layers of the LLM part. */
  public int numLlmLayers() {
    return stack.numLayers() - numEmbeddingLayers;
  }

  /** True if global layer {@code g} belongs to the holistic embedding module. */
  public boolean isEmbeddingLayer(int g) {
    return g < numEmbeddingLayers;
  }

  /** D. */
  public int hiddenSize() {
    return stack.hiddenSize();
  }

  /** The same model with another joint stack (a student's: other layer kinds, same dims). */
  public VlmConfig withStack(DecoderConfig s) {
    return new VlmConfig(
        imageSize,
        patchSize,
        channels,
        downsampleRatio,
        numEmbeddingLayers,
        s,
        imgContextTokenId,
        imgStartTokenId,
        imgEndTokenId,
        embeddingDims);
  }

  /**
   * The config governing global layer {@code g}: the stack itself, or for an embedding layer of a
   * published HoVLE checkpoint ({@link #embeddingDims} set) the stack with the embedding module's
   * heads, KV heads, head dim, MLP width, eps, bias and RoPE settings (same layer kinds, numbering
   * and vocabulary).
   */
  public DecoderConfig layerDims(int g) {
    if (embeddingDims == null || g >= numEmbeddingLayers) {
      return stack;
    }
    DecoderConfig e = embeddingDims;
    Mamba2Config m = null;
    if (stack.mamba() != null) {
      Mamba2Config sm = stack.mamba();
      m =
          Mamba2Config.mmMamba(
                  e.numHeads(), e.numKvHeads(), e.headDim(), sm.convKernel(), sm.chunkSize())
              .withD(sm.useD());
    }
    return new DecoderConfig(
        stack.family(),
        stack.vocabSize(),
        stack.hiddenSize(),
        stack.numLayers(),
        e.numHeads(),
        e.numKvHeads(),
        e.headDim(),
        e.intermediateSize(),
        e.rmsNormEps(),
        e.ropeTheta(),
        e.ropeScaling(),
        e.maxPositionEmbeddings(),
        stack.tieWordEmbeddings(),
        e.qkvBias(),
        e.oBias(),
        m,
        stack.layerKinds(),
        stack.hasMlp(),
        stack.bosTokenId(),
        stack.eosTokenIds(),
        stack.padTokenId());
  }

  /** The embedding module's layers as a config of their own (layers 0..E-1). */
  public DecoderConfig embeddingPart() {
    return embeddingDims == null
        ? part(0, numEmbeddingLayers)
        : partOf(layerDims(0), 0, numEmbeddingLayers);
  }

  /** The LLM's layers as a config of their own (global layers E..n-1, renumbered from 0). */
  public DecoderConfig llmPart() {
    return part(numEmbeddingLayers, stack.numLayers());
  }

  private DecoderConfig part(int from, int to) {
    return partOf(stack, from, to);
  }

  private static DecoderConfig partOf(DecoderConfig s, int from, int to) {
    List<LayerKind> kinds = s.layerKinds().subList(from, to);
    boolean mamba = kinds.contains(LayerKind.MAMBA2);
    return new DecoderConfig(
        mamba ? ModelFamily.MMMAMBA : ModelFamily.INTERNLM2,
        s.vocabSize(),
        s.hiddenSize(),
        to - from,
        s.numHeads(),
        s.numKvHeads(),
        s.headDim(),
        s.intermediateSize(),
        s.rmsNormEps(),
        s.ropeTheta(),
        s.ropeScaling(),
        s.maxPositionEmbeddings(),
        s.tieWordEmbeddings(),
        s.qkvBias(),
        s.oBias(),
        mamba ? s.mamba() : null,
        kinds,
        s.hasMlp(),
        s.bosTokenId(),
        s.eosTokenIds(),
        s.padTokenId());
  }

  /** Checks every field; the message names the field (as its config.json key) and {@code where}. */
  public VlmConfig validate(String where) {
    if (stack == null) {
      throw new BadInputException(
          where + ": the decoder stack (embedding_config, llm_config) is missing");
    }
    if (stack.family() != ModelFamily.INTERNLM2 && stack.family() != ModelFamily.MMMAMBA) {
      throw new BadInputException(
          where
              + ": the joint stack must use InternLM2 layers (internlm2 or mmmamba), got "
              + stack.family());
    }
    stack.validate(where);
    if (embeddingDims != null) {
      if (embeddingDims.hiddenSize() != stack.hiddenSize()) {
        throw new BadInputException(
            where
                + ": embedding_config.hidden_size "
                + embeddingDims.hiddenSize()
                + " differs from llm_config.hidden_size "
                + stack.hiddenSize());
      }
      if (embeddingDims.numLayers() != numEmbeddingLayers) {
        throw new BadInputException(
            where
                + ": embedding_config.num_hidden_layers "
                + embeddingDims.numLayers()
                + " differs from the "
                + numEmbeddingLayers
                + " embedding layers of the stack");
      }
      layerDims(0).validate(where + " (embedding_config)");
    }
    if (!stack.hasMlp()) {
      throw new BadInputException(where + ": the joint stack's layers must have SwiGLU MLPs");
    }
    if (stack.tieWordEmbeddings()) {
      throw new BadInputException(
          where
              + ": llm_config.tie_word_embeddings must be false (the LM head is "
              + "language_model.output, separate from the embedding module's text table)");
    }
    positive(where, "vision.image_size", imageSize);
    positive(where, "vision.patch_size", patchSize);
    positive(where, "vision.num_channels", channels);
    if (imageSize % patchSize != 0) {
      throw new BadInputException(
          where
              + ": vision.image_size "
              + imageSize
              + " is not divisible by vision.patch_size "
              + patchSize);
    }
    if (downsampleRatio != 0.5) {
      throw new BadInputException(
          where
              + ": vision.downsample_ratio must be 0.5 (the only supported ratio), got "
              + downsampleRatio);
    }
    if (grid() % 2 != 0) {
      throw new BadInputException(
          where
              + ": vision.image_size / vision.patch_size = "
              + grid()
              + " patches per side must be even for the 0.5 pixel shuffle");
    }
    if (numEmbeddingLayers < 1 || numEmbeddingLayers >= stack.numLayers()) {
      throw new BadInputException(
          where
              + ": num_embedding_layers must be in [1, "
              + (stack.numLayers() - 1)
              + "] for a stack of "
              + stack.numLayers()
              + " layers, got "
              + numEmbeddingLayers);
    }
    checkId(where, "img_context_token_id", imgContextTokenId);
    checkId(where, "img_start_token_id", imgStartTokenId);
    checkId(where, "img_end_token_id", imgEndTokenId);
    if (imgStartTokenId == imgContextTokenId
        || imgEndTokenId == imgContextTokenId
        || imgStartTokenId == imgEndTokenId) {
      throw new BadInputException(
          where
              + ": img_context_token_id, img_start_token_id and img_end_token_id must differ, "
              + "got "
              + imgContextTokenId
              + ", "
              + imgStartTokenId
              + ", "
              + imgEndTokenId);
    }
    return this;
  }

  private void checkId(String where, String key, int id) {
    if (id < 0 || id >= stack.vocabSize()) {
      throw new BadInputException(
          where
              + ": "
              + key
              + " "
              + id
              + " is outside the vocabulary [0, "
              + stack.vocabSize()
              + ")");
    }
  }

  private static void positive(String where, String key, int v) {
    if (v <= 0) {
      throw new BadInputException(where + ": " + key + " must be > 0, got " + v);
    }
  }
}
