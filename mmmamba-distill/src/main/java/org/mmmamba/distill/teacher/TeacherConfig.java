package org.mmmamba.distill.teacher;

import java.util.List;
import org.mmmamba.core.BadInputException;
import org.mmmamba.distill.recipe.RunConfig;
import org.mmmamba.distill.recipe.YamlConfigs;

/**
 * Training a small HoVLE-style teacher from scratch (answer-only cross-entropy), as a YAML record;
 * defaults in {@code teacher-defaults.yaml}, every key documented in docs/config.md.
 *
 * @param run name, output directory, seed, device, dtype
 * @param model architecture of the vision-language model
 * @param data datasets (same keys as distillation runs) and the chat template
 * @param train optimisation (same keys as a distillation stage)
 * @param checkpoint checkpoint cadence
 * @param eval evaluation after training
 */
public record TeacherConfig(
    RunConfig.Run run,
    Model model,
    Data data,
    RunConfig.Stage train,
    RunConfig.Checkpoint checkpoint,
    RunConfig.Eval eval) {

  /**
   * Model dimensions. The joint stack has {@code embeddingLayers + llmLayers} InternLM2-style
   * layers.
   */
  public record Model(
      Integer imageSize,
      Integer patchSize,
      Integer hiddenSize,
      Integer numHeads,
      Integer numKvHeads,
      Integer headDim,
      Integer intermediateSize,
      Integer embeddingLayers,
      Integer llmLayers,
      Double ropeTheta,
      Integer maxPositionEmbeddings,
      Double initStd) {}

  /** Data plus the chat template ("plain" or "internlm2"). */
  public record Data(
      String train,
      String test,
      String imageRoot,
      String tokenizer,
      Integer maxTokens,
      Integer batchSize,
      Long shuffleSeed,
      String brokenSamples,
      RunConfig.Synthetic synthetic,
      String template) {}

  /** Checks values; errors name file, line and key. */
  public void validate(YamlConfigs.Located<TeacherConfig> at) {
    req(at, "model.image_size", model.imageSize() != null && model.imageSize() > 0, "must be > 0");
    req(
        at,
        "model.patch_size",
        model.patchSize() != null
            && model.patchSize() > 0
            && model.imageSize() % model.patchSize() == 0
            && (model.imageSize() / model.patchSize()) % 2 == 0,
        "must divide image_size into an even number of patches per side");
    req(
        at,
        "model.hidden_size",
        model.hiddenSize() != null && model.hiddenSize() > 0,
        "must be > 0");
    req(at, "model.num_heads", model.numHeads() != null && model.numHeads() > 0, "must be > 0");
    req(
        at,
        "model.num_kv_heads",
        model.numKvHeads() != null
            && model.numKvHeads() > 0
            && model.numHeads() % model.numKvHeads() == 0,
        "must divide num_heads");
    req(
        at,
        "model.head_dim",
        model.headDim() != null && model.headDim() > 0 && model.headDim() % 2 == 0,
        "must be even and > 0");
    req(
        at,
        "model.embedding_layers",
        model.embeddingLayers() != null && model.embeddingLayers() >= 1,
        "must be >= 1");
    req(
        at,
        "model.llm_layers",
        model.llmLayers() != null && model.llmLayers() >= 1,
        "must be >= 1");
    req(at, "data.batch_size", data.batchSize() != null && data.batchSize() > 0, "must be > 0");
    req(at, "data.max_tokens", data.maxTokens() != null && data.maxTokens() > 0, "must be > 0");
    req(
        at,
        "data.template",
        List.of("plain", "internlm2").contains(data.template()),
        "must be plain or internlm2");
    req(
        at,
        "data.broken_samples",
        List.of("skip", "fail").contains(data.brokenSamples()),
        "must be skip or fail");
    req(at, "train.steps", train.steps() != null && train.steps() >= 1, "must be >= 1");
    req(at, "train.lr", train.lr() != null && train.lr() > 0, "must be > 0");
    req(at, "train.clip", train.clip() != null && train.clip() > 0, "must be > 0");
    req(
        at,
        "train.grad_accum",
        train.gradAccum() != null && train.gradAccum() >= 1,
        "must be >= 1");
    req(
        at,
        "checkpoint.every",
        checkpoint.every() != null && checkpoint.every() > 0,
        "must be > 0");
  }

  private static void req(YamlConfigs.Located<?> at, String key, boolean ok, String what) {
    if (!ok) {
      throw new BadInputException(at.where(key) + " " + what);
    }
  }
}
