package org.mmmamba.distill.recipe;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.seed.InitStrategy;
import org.mmmamba.distill.data.BrokenSamplePolicy;

/**
 * A distillation run, as a complete record of the experiment (docs/config.md documents every key;
 * defaults in {@code distill-defaults.yaml}). Stages 1 and 2 convert every layer (docs/method.md
 * §3); stage 3 trains one student per entry of {@code students}, each with its own hybrid layout,
 * all starting from the stage-2 result.
 *
 * @param run name, output directory, seed, device, dtype
 * @param teacher the teacher checkpoint
 * @param data datasets and batching
 * @param init how converted layers are seeded
 * @param students the students trained in stage 3
 * @param stages stage1, stage2, stage3 settings
 * @param checkpoint checkpoint cadence
 * @param eval evaluation after training
 */
public record RunConfig(
    Run run,
    Teacher teacher,
    Data data,
    Init init,
    List<Student> students,
    Stages stages,
    Checkpoint checkpoint,
    Eval eval) {

  /**
   * Run-wide settings. {@code precision} is fp32, tf32 or fp16-mixed (docs/cuda.md#precision); with
   * a precision other than fp32, {@code dtype} must stay float32 (the precision decides the array
   * types). {@code maxConsecutiveSkips} skipped (non-finite) steps in a row stop a training stage
   * with exit code 3. {@code fp16InitialScale}: fp16-mixed's first loss scale (each stage starts
   * there). {@code devices} (null: {@code device} alone) runs stage 3 data parallel over those
   * devices ({@link DeviceSet}, docs/scale-out.md); {@code device}, when also set to other than
   * auto, must be the first of them.
   */
  public record Run(
      String name,
      String outDir,
      Long seed,
      String device,
      DeviceSet devices,
      String dtype,
      String precision,
      Integer maxConsecutiveSkips,
      Double fp16InitialScale) {}

  /** The validated {@code run.precision}. */
  public org.mmmamba.distill.precision.Precision precision() {
    return org.mmmamba.distill.precision.Precision.parse(run.precision(), "run.precision:");
  }

  /**
   * The teacher checkpoint directory (HF/HoVLE layout); {@code cacheDir}, when set, caches the
   * teacher's per-layer signals of stages 1-2 on disk (stages 1 and 2 then see the same batch
   * order, so stage 2 reuses stage 1's).
   */
  public record Teacher(String path, String cacheDir) {}

  /**
   * Data: {@code train}/{@code test} are LLaVA-format JSON/JSONL paths, or "builtin:shapes" for the
   * synthetic task generated in memory ({@code synthetic} sets its seed and sizes); {@code
   * template} is the chat template (plain, internlm2, jinja: the tokenizer_config.json
   * chat_template, auto: jinja when there is one, else plain; null: the one recorded in the
   * teacher's training.json, else auto). {@code readAhead} batches are prepared on a background
   * thread while a step runs (0: none), their samples read by {@code workers} threads ({@link
   * org.mmmamba.distill.data.BatchStream#readAhead}).
   */
  public record Data(
      String train,
      String test,
      String imageRoot,
      String tokenizer,
      Integer maxTokens,
      Integer batchSize,
      Long shuffleSeed,
      String brokenSamples,
      Synthetic synthetic,
      String template,
      Integer readAhead,
      Integer workers) {}

  /** The built-in synthetic task's seed and split sizes. */
  public record Synthetic(Long seed, Integer train, Integer test) {}

  /**
   * Seeding of converted layers: scratch, inherit, inherit_mimic; {@code from} optionally names an
   * earlier run's {@code stageK/mixers.safetensors} to start from instead (e.g. stage 3 only, from
   * another run's stage 2).
   */
  public record Init(String strategy, Integer convKernel, Integer chunkSize, String from) {}

  /**
   * One student: a name and a hybrid layout ("linear", "head-interleaved:2", "explicit:0,4", ...).
   */
  public record Student(String name, String layout) {}

  /** The three stages. */
  public record Stages(Stage stage1, Stage stage2, Stage stage3) {}

  /**
   * One stage. Stages 1-2 use {@code lossScale} and {@code target}; stage 3 uses {@code
   * temperature}, {@code answerOnly} and {@code ceWeight}.
   */
  public record Stage(
      Boolean enabled,
      Integer steps,
      Double lr,
      Schedule schedule,
      Double weightDecay,
      Double clip,
      Integer gradAccum,
      Integer batchSize,
      Double lossScale,
      String target,
      Double temperature,
      Boolean answerOnly,
      Double ceWeight,
      String onNonFinite) {}

  /**
   * LR schedule: wsd (warmup, stable, decay), cosine (warmup, then cosine to 0), constant (warmup).
   */
  public record Schedule(String type, Integer warmup, Integer stable, Integer decay) {}

  /** Checkpoint every N optimiser steps, keeping the last {@code keep}. */
  public record Checkpoint(Integer every, Integer keep) {}

  /**
   * Evaluation of teacher and students after training; with {@code every} > 0 also every that many
   * steps of stage 3 (and after its last step), on the same {@code limit} held-out samples (0: the
   * whole split).
   */
  public record Eval(Boolean enabled, Integer maxNewTokens, Integer limit, Integer every) {}

  /** The output directory. */
  public Path outDir() {
    return Path.of(run.outDir());
  }

  /** The config as YAML (snake_case keys), as a run directory records it in {@code config.yaml}. */
  public String toYaml() {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper(
              new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
          .setPropertyNamingStrategy(
              com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE)
          .writeValueAsString(this);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Stage 1 "distil the new", typed (call after {@link #validate}). */
  public LayerwiseStageConfig distilTheNew() {
    return LayerwiseStageConfig.of(stages.stage1());
  }

  /** Stage 2 "distil the whole", typed (call after {@link #validate}). */
  public LayerwiseStageConfig distilTheWhole() {
    return LayerwiseStageConfig.of(stages.stage2());
  }

  /** Stage 3 "end to end", typed (call after {@link #validate}). */
  public EndToEndStageConfig endToEnd() {
    return EndToEndStageConfig.of(stages.stage3());
  }

  /** {@code data.broken_samples}, typed (call after {@link #validate}). */
  public BrokenSamplePolicy brokenSamplePolicy() {
    return BrokenSamplePolicy.valueOf(data.brokenSamples().toUpperCase(Locale.ROOT));
  }

  /** {@code init.strategy}, typed (call after {@link #validate}). */
  public InitStrategy initStrategy() {
    return InitStrategy.parse(init.strategy());
  }

  /** Checks every value; errors name file, line and key. */
  public void validate(YamlConfigs.Located<RunConfig> at) {
    require(
        at, "run.name", run.name() != null && !run.name().isBlank(), "must be a non-empty string");
    require(at, "run.out_dir", run.outDir() != null && !run.outDir().isBlank(), "must be set");
    org.mmmamba.distill.precision.Precision p =
        org.mmmamba.distill.precision.Precision.parse(run.precision(), at.where("run.precision"));
    require(
        at,
        "run.dtype",
        p == org.mmmamba.distill.precision.Precision.FP32
            || "float32".equalsIgnoreCase(run.dtype()),
        "must be float32 when run.precision is " + p.key());
    require(
        at,
        "run.fp16_initial_scale",
        run.fp16InitialScale() != null
            && run.fp16InitialScale() > 0
            && Double.isFinite(run.fp16InitialScale()),
        "must be > 0");
    require(
        at,
        "run.max_consecutive_skips",
        run.maxConsecutiveSkips() != null && run.maxConsecutiveSkips() >= 1,
        "must be >= 1");
    if (run.devices() != null) {
      String bad = run.devices().problem();
      require(at, "run.devices", bad == null, bad);
      String d = lower(run.device());
      String first = run.devices().isAll() ? "gpu0" : run.devices().names().get(0);
      require(
          at,
          "run.devices",
          d.isEmpty()
              || d.equals("auto")
              || d.equals(first)
              || (d.equals("gpu") && first.equals("gpu0"))
              || (d.equals("cpu") && first.startsWith("cpu")),
          "disagrees with run.device '"
              + run.device()
              + "' (leave run.device at auto, or make it the first of run.devices)");
    }
    require(at, "teacher.path", teacher.path() != null && !teacher.path().isBlank(), "must be set");
    require(at, "data.train", data.train() != null, "must be set");
    require(at, "data.batch_size", data.batchSize() != null && data.batchSize() > 0, "must be > 0");
    require(at, "data.max_tokens", data.maxTokens() != null && data.maxTokens() > 0, "must be > 0");
    require(
        at, "data.read_ahead", data.readAhead() != null && data.readAhead() >= 0, "must be >= 0");
    require(at, "data.workers", data.workers() != null && data.workers() >= 1, "must be >= 1");
    require(
        at,
        "data.broken_samples",
        List.of("skip", "fail").contains(lower(data.brokenSamples())),
        "must be skip or fail");
    require(
        at,
        "init.strategy",
        List.of("scratch", "inherit", "inherit_mimic").contains(lower(init.strategy())),
        "must be scratch, inherit or inherit_mimic");
    require(
        at,
        "init.conv_kernel",
        init.convKernel() != null && init.convKernel() >= 1,
        "must be >= 1");
    require(
        at, "init.chunk_size", init.chunkSize() != null && init.chunkSize() >= 1, "must be >= 1");
    require(
        at, "students", students != null && !students.isEmpty(), "must list at least one student");
    Set<String> names = new HashSet<>();
    for (int i = 0; i < students.size(); i++) {
      Student s = students.get(i);
      require(
          at,
          "students[" + i + "]",
          s.name() != null && s.name().matches("[A-Za-z0-9_.-]+"),
          "name must be letters, digits, '_', '.', '-'");
      require(
          at,
          "students[" + i + "]",
          names.add(s.name()),
          "duplicate student name '" + s.name() + "'");
      require(at, "students[" + i + "]", s.layout() != null, "layout must be set");
    }
    stage(at, "stages.stage1", stages.stage1(), true);
    stage(at, "stages.stage2", stages.stage2(), true);
    stage(at, "stages.stage3", stages.stage3(), false);
    require(
        at,
        "checkpoint.every",
        checkpoint.every() != null && checkpoint.every() > 0,
        "must be > 0");
    require(
        at, "checkpoint.keep", checkpoint.keep() != null && checkpoint.keep() > 0, "must be > 0");
    require(
        at,
        "eval.max_new_tokens",
        eval.maxNewTokens() != null && eval.maxNewTokens() > 0,
        "must be > 0");
    require(at, "eval.limit", eval.limit() == null || eval.limit() >= 0, "must be >= 0");
    require(at, "eval.every", eval.every() == null || eval.every() >= 0, "must be >= 0");
  }

  private static void stage(
      YamlConfigs.Located<RunConfig> at, String key, Stage s, boolean layerwise) {
    require(at, key + ".steps", s.steps() != null && s.steps() >= 0, "must be >= 0");
    require(
        at, key + ".lr", s.lr() != null && s.lr() > 0 && Double.isFinite(s.lr()), "must be > 0");
    require(
        at, key + ".weight_decay", s.weightDecay() != null && s.weightDecay() >= 0, "must be >= 0");
    require(at, key + ".clip", s.clip() != null && s.clip() > 0, "must be > 0");
    require(at, key + ".grad_accum", s.gradAccum() != null && s.gradAccum() >= 1, "must be >= 1");
    require(at, key + ".batch_size", s.batchSize() == null || s.batchSize() > 0, "must be > 0");
    require(
        at,
        key + ".on_non_finite",
        List.of("skip", "stop").contains(lower(s.onNonFinite())),
        "must be skip or stop");
    Schedule sc = s.schedule();
    require(
        at,
        key + ".schedule.type",
        List.of("wsd", "cosine", "constant").contains(lower(sc.type())),
        "must be wsd, cosine or constant");
    require(at, key + ".schedule.warmup", sc.warmup() != null && sc.warmup() >= 0, "must be >= 0");
    if (layerwise) {
      require(at, key + ".loss_scale", s.lossScale() != null && s.lossScale() > 0, "must be > 0");
      require(
          at,
          key + ".target",
          List.of("before_wo", "after_wo").contains(lower(s.target())),
          "must be before_wo or after_wo");
    } else {
      require(
          at, key + ".temperature", s.temperature() != null && s.temperature() > 0, "must be > 0");
      require(at, key + ".ce_weight", s.ceWeight() != null && s.ceWeight() >= 0, "must be >= 0");
    }
  }

  static String lower(String s) {
    return s == null ? "" : s.toLowerCase(Locale.ROOT);
  }

  static void require(YamlConfigs.Located<?> at, String key, boolean ok, String what) {
    if (!ok) {
      throw new BadInputException(at.where(key) + " " + what);
    }
  }
}
