package org.mmmamba.core.io;

import static org.mmmamba.core.config.ParamNames.EMBED;
import static org.mmmamba.core.config.ParamNames.FINAL_NORM;
import static org.mmmamba.core.config.ParamNames.LLM_TOK_EMBED;
import static org.mmmamba.core.config.ParamNames.LM_HEAD;
import static org.mmmamba.core.config.ParamNames.VISION_CLASS;
import static org.mmmamba.core.config.ParamNames.VISION_PATCH_B;
import static org.mmmamba.core.config.ParamNames.VISION_PATCH_W;
import static org.mmmamba.core.config.ParamNames.VISION_POS;
import static org.mmmamba.core.config.ParamNames.VISION_PROJ1_B;
import static org.mmmamba.core.config.ParamNames.VISION_PROJ1_W;
import static org.mmmamba.core.config.ParamNames.VISION_PROJ2_B;
import static org.mmmamba.core.config.ParamNames.VISION_PROJ2_W;

import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.VlmConfig;

/**
 * The HoVLE checkpoint layout (docs/method.md §6) as a {@link WeightMap}: HF names and shapes on
 * the left, canonical names ({@code model.ParamNames}) on the right. D hidden, V vocab, C channels,
 * p patch, N patches per tile, E embedding layers.
 *
 * <pre>
 * embedding_model.vision_embeddings.patch_embedding.weight (D, C, p, p)  vision.patch.weight (D, C*p*p)
 * embedding_model.vision_embeddings.patch_embedding.bias (D)             vision.patch.bias
 * embedding_model.vision_embeddings.position_embedding (1, N+1, D)       vision.pos (N+1, D)
 * embedding_model.vision_embeddings.class_embedding (1, 1, D)            vision.class
 * embedding_model.llm_text_embeddings.weight (V, D)                      embed.weight
 * embedding_model.pixel_shuffle_proj.0.weight (D, 4D) / .0.bias (D)      vision.proj1.weight / .bias
 * embedding_model.pixel_shuffle_proj.2.weight (D, D) / .2.bias (D)       vision.proj2.weight / .bias
 * embedding_model.encoder.{g}.*                (g &lt; E)                    layers.g.*
 * language_model.model.tok_embeddings.weight (V, D)                      llm.tok_embeddings.weight
 * language_model.model.layers.{g-E}.*          (g &gt;= E)                   layers.g.*
 * language_model.model.norm.weight (D)                                   final_norm.weight
 * language_model.output.weight (V, D)                                    lm_head.weight
 * </pre>
 *
 * <p>Per-layer keys are InternLM2's (attention.wqkv.weight packed per kv head, attention.wo.weight,
 * feed_forward.w1/w2/w3.weight, attention_norm.weight, ffn_norm.weight); a Mamba-2 layer of a
 * student uses the mmMamba mixer keys (attention.wvkqgdt.weight, attention.o_proj.weight,
 * attention.conv1d.weight, ...) under the same per-layer prefix, as {@link WeightMaps} writes them
 * for mmMamba checkpoints. The {@code special_text_embeddings} table HoVLE adds for ids beyond its
 * text table is not supported (such a checkpoint is reported as having an unexpected tensor).
 */
public final class HovleWeightMap {
  private HovleWeightMap() {}

  /** The table for {@code c}: every tensor a checkpoint of this config must hold. */
  public static WeightMap of(VlmConfig c) {
    DecoderConfig s = c.stack();
    long d = s.hiddenSize();
    long v = s.vocabSize();
    long p = c.patchSize();
    long ch = c.channels();
    long n = c.numPatches();
    int e = c.numEmbeddingLayers();
    WeightMap.Builder b = new WeightMap.Builder();
    String ve = "embedding_model.vision_embeddings.";
    b.reshape(
        ve + "patch_embedding.weight",
        VISION_PATCH_W,
        new long[] {d, ch, p, p},
        new long[] {d, ch * p * p});
    b.rename(ve + "patch_embedding.bias", VISION_PATCH_B, d);
    b.reshape(
        ve + "position_embedding", VISION_POS, new long[] {1, n + 1, d}, new long[] {n + 1, d});
    b.rename(ve + "class_embedding", VISION_CLASS, 1, 1, d);
    b.rename("embedding_model.llm_text_embeddings.weight", EMBED, v, d);
    b.rename("embedding_model.pixel_shuffle_proj.0.weight", VISION_PROJ1_W, d, 4 * d);
    b.rename("embedding_model.pixel_shuffle_proj.0.bias", VISION_PROJ1_B, d);
    b.rename("embedding_model.pixel_shuffle_proj.2.weight", VISION_PROJ2_W, d, d);
    b.rename("embedding_model.pixel_shuffle_proj.2.bias", VISION_PROJ2_B, d);
    for (int g = 0; g < e; g++) {
      WeightMaps.internlm2Layer(b, c.layerDims(g), g, layerPrefix(c, g));
    }
    b.rename("language_model.model.tok_embeddings.weight", LLM_TOK_EMBED, v, d);
    for (int g = e; g < s.numLayers(); g++) {
      WeightMaps.internlm2Layer(b, s, g, layerPrefix(c, g));
    }
    b.rename("language_model.model.norm.weight", FINAL_NORM, d);
    b.rename("language_model.output.weight", LM_HEAD, v, d);
    return b.build();
  }

  /**
   * Where global layer {@code g} lives: {@code embedding_model.encoder.g.} for g &lt; E, else
   * {@code language_model.model.layers.(g-E).} (docs/method.md §1).
   */
  public static String layerPrefix(VlmConfig c, int g) {
    int e = c.numEmbeddingLayers();
    return g < e
        ? "embedding_model.encoder." + g + "."
        : "language_model.model.layers." + (g - e) + ".";
  }
}
