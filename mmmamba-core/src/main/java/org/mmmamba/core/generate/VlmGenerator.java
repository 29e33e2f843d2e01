package org.mmmamba.core.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.List;
import org.mmmamba.core.model.VisionLanguageModel;

/**
 * Generation for vision-language models: the prompt's joint embeddings (text with image tokens
 * spliced in) are the prefill; new tokens are text, embedded by the joint stack's table ({@link
 * Generator} does the rest).
 */
public final class VlmGenerator {
  private VlmGenerator() {}

  /**
   * Generates continuations for equal-length prompts.
   *
   * @param prompts (B, L) token ids with {@code <IMG_CONTEXT>} placeholders
   * @param pixelsPerSample null, or per sample null or its normalised tiles (T_i, C, S, S)
   * @return per row: the prompt followed by the new tokens (up to and including a stop token)
   */
  public static long[][] generate(
      VisionLanguageModel model,
      long[][] prompts,
      List<NDArray> pixelsPerSample,
      GenerationConfig cfg) {
    cfg.validate();
    try (NDManager m = model.decoder().weights().manager().getParentManager().newSubManager()) {
      NDArray embeds;
      // The scope frees the vision temporaries; the embeddings outlive it, owned by m.
      try (NDScope scope = new NDScope()) {
        embeds = model.inputEmbeds(model.ids(m, prompts), pixelsPerSample);
        NDScope.unregister(embeds);
        embeds.attach(m);
      }
      return Generator.generate(model.decoder(), embeds, prompts, cfg, m);
    }
  }
}
