package org.mmmamba.distill;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.mmmamba.distill.recipe.Recipes;
import org.mmmamba.distill.recipe.RunConfig;
import org.mmmamba.distill.recipe.YamlConfigs;
import org.mmmamba.distill.teacher.TeacherTraining;

/**
 * A tiny trained teacher and tiny distillation configs, shared by pipeline tests (seconds, not
 * minutes).
 */
public final class TinyRuns {
  private TinyRuns() {}

  /**
   * Trains a 4-layer, width-32 teacher for a few steps on the shapes task into {@code dir}; returns
   * the model dir.
   */
  public static Path teacher(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path cfg = dir.resolve("teacher.yaml");
    Files.writeString(
        cfg,
        String.join(
            "\n",
            "run: {name: tiny-teacher, out_dir: "
                + dir.resolve("teacher-run")
                + ", seed: 3, device: cpu}",
            "model: {image_size: 28, patch_size: 7, hidden_size: 32, num_heads: 2, num_kv_heads: 1, head_dim: 16,",
            "        intermediate_size: 64, embedding_layers: 1, llm_layers: 3}",
            "data: {batch_size: 8, synthetic: {seed: 1, train: 64, test: 16}}",
            "train: {steps: 6, lr: 1.0e-3, schedule: {type: wsd, warmup: 1, stable: 4, decay: 1}}",
            "checkpoint: {every: 3, keep: 1}",
            "eval: {enabled: false}",
            ""));
    return TeacherTraining.run(TeacherTraining.load(cfg, List.of()), false).modelDir();
  }

  /**
   * A distillation config over {@code teacher} writing to {@code out}: 4 steps per stage, two
   * students.
   */
  public static YamlConfigs.Located<RunConfig> distill(
      Path teacher, Path out, List<String> overrides) throws IOException {
    Path cfg = out.getParent().resolve(out.getFileName() + ".yaml");
    Files.writeString(
        cfg,
        String.join(
            "\n",
            "run: {name: tiny, out_dir: " + out + ", seed: 5, device: cpu}",
            "teacher: {path: " + teacher + "}",
            "data: {batch_size: 4, synthetic: {seed: 2, train: 48, test: 12}}",
            "init: {chunk_size: 4}",
            "students:",
            "  - {name: linear, layout: linear}",
            "  - {name: hybrid, layout: 'head-interleaved:1'}",
            "stages:",
            "  stage1: {steps: 4, schedule: {type: wsd, warmup: 1, stable: 2, decay: 1}}",
            "  stage2: {steps: 4, schedule: {type: wsd, warmup: 1, stable: 2, decay: 1}}",
            "  stage3: {steps: 4, lr: 1.0e-3, schedule: {type: wsd, warmup: 1, stable: 2, decay: 1}}",
            "checkpoint: {every: 2, keep: 2}",
            "eval: {enabled: true, max_new_tokens: 2}",
            ""));
    return Recipes.load(cfg, overrides);
  }
}
