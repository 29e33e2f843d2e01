package org.mmmamba.app.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.mmmamba.core.BadInputException;
import org.mmmamba.distill.recipe.YamlConfigs;

/**
 * What {@code mmmamba bench} measures, bound from YAML ({@code configs/bench/cpu.yaml} is the
 * default and the documentation of every key). Every key is required except the GPU bench's {@code
 * device}, {@code precision}, {@code inference_precision} and {@code training} ({@link #OPTIONAL});
 * unknown keys, nulls and wrong types are errors naming the file, the key and the line.
 *
 * <p>Shape glossary: D = {@code model.d_model}, H heads, G kv heads, P head dim, F = {@code
 * model.ffn}, V vocab.
 *
 * @param model dimensions shared by the teacher and both students
 * @param dtype compute dtype (float32 on CPU)
 * @param models which of teacher / linear / hybrid to run
 * @param hybridAttentionLayers layer indices that keep attention in the hybrid student (0-based)
 * @param decode next-token latency at synthetic contexts
 * @param prefill prompt processing at growing lengths
 * @param table2 the paper's Table 2 recipe (image-token prompt, then greedy decoding)
 * @param floors sizes and repeats of the hardware-floor measurements
 * @param threads engine intra-op threads for the run (0 = leave the engine's default)
 * @param seed seed of the random weights and synthetic data
 * @param isolate run every measured point in a fresh JVM so peak RSS is not inflated by earlier
 *     points
 * @param device where the models run: cpu, gpu or gpuN
 * @param precision one pass per entry (fp32, tf32, fp16; one value or a list): the floors and the
 *     training steps run in every pass; tf32 needs {@code TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1}
 *     before libtorch loads, so a pass whose setting differs from this process's runs in a child
 *     JVM with the variable set (or removed)
 * @param inferencePrecision the passes (a subset of {@code precision}) that also run decode,
 *     prefill and Table 2
 * @param training the training-step phases (stage1, stage2, stage3) through the distillation
 *     library
 */
public record BenchConfig(
    Dims model,
    String dtype,
    List<BenchModel> models,
    List<Integer> hybridAttentionLayers,
    Decode decode,
    Prefill prefill,
    Table2 table2,
    Floors floors,
    int threads,
    long seed,
    boolean isolate,
    String device,
    @com.fasterxml.jackson.annotation.JsonFormat(
            with = com.fasterxml.jackson.annotation.JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
        List<String> precision,
    @com.fasterxml.jackson.annotation.JsonFormat(
            with = com.fasterxml.jackson.annotation.JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
        List<String> inferencePrecision,
    Training training) {

  /** Defensive copies. */
  public BenchConfig {
    precision = precision == null ? null : List.copyOf(precision);
    inferencePrecision = inferencePrecision == null ? null : List.copyOf(inferencePrecision);
    models = models == null ? null : List.copyOf(models);
    hybridAttentionLayers =
        hybridAttentionLayers == null ? null : List.copyOf(hybridAttentionLayers);
  }

  /**
   * Model dimensions.
   *
   * @param dModel D
   * @param layers number of decoder layers
   * @param heads H
   * @param kvHeads G
   * @param headDim P (also the Mamba-2 state size N)
   * @param ffn F, SwiGLU width
   * @param vocab V
   * @param chunkSize SSD chunk length of the students' prefill
   * @param convKernel students' causal conv width
   */
  public record Dims(
      int dModel,
      int layers,
      int heads,
      int kvHeads,
      int headDim,
      int ffn,
      int vocab,
      int chunkSize,
      int convKernel) {}

  /**
   * Decode settings.
   *
   * @param contexts context lengths (tokens already in the cache or folded into the state)
   * @param warmup untimed steps per context, at least
   * @param warmupSeconds untimed stepping goes on until this much time has passed too: the JIT
   *     compiles DJL's Java side only after some hundred calls, and a cold step is 1.5x slower
   *     (each point may be a fresh JVM)
   * @param repeats timed steps per context
   * @param rounds times each context is measured (each in its own JVM when isolated), alternately
   *     in increasing and decreasing context order; the steps of all rounds are pooled. On a shared
   *     machine speed drifts over minutes, and in one increasing pass that drift would read as a
   *     dependence on context
   */
  public record Decode(
      List<Integer> contexts, int warmup, double warmupSeconds, int repeats, int rounds) {
    /** Defensive copy. */
    public Decode {
      contexts = contexts == null ? null : List.copyOf(contexts);
    }
  }

  /**
   * Prefill settings.
   *
   * @param lengths prompt lengths for every model
   * @param studentLengths extra lengths for the students only (the teacher's cost grows
   *     quadratically)
   * @param warmup untimed runs per length
   * @param repeats timed runs per length
   */
  public record Prefill(
      List<Integer> lengths, List<Integer> studentLengths, int warmup, int repeats) {
    /** Defensive copies. */
    public Prefill {
      lengths = lengths == null ? null : List.copyOf(lengths);
      studentLengths = studentLengths == null ? null : List.copyOf(studentLengths);
    }
  }

  /**
   * Table 2 recipe (docs/method.md §5): a prompt of image-token embeddings plus text, then greedy
   * decoding.
   *
   * @param imageTokens synthetic image-token embeddings at the start of the prompt (768 in the
   *     paper)
   * @param textTokens text tokens after the image
   * @param newTokens tokens decoded greedily (256 in the paper)
   * @param warmup untimed runs
   * @param repeats timed runs
   */
  public record Table2(int imageTokens, int textTokens, int newTokens, int warmup, int repeats) {
    /** Prompt length. */
    public int promptLength() {
      return imageTokens + textTokens;
    }
  }

  /**
   * Hardware-floor measurements, made in the same run as the figures.
   *
   * @param copyMb size of the array copied (and summed) to measure memory bandwidth, in MiB
   * @param matmulN n of the n×n×n fp32 matmul that measures the FLOP rate
   * @param repeats timed repeats of each (the median is used)
   */
  public record Floors(int copyMb, int matmulN, int repeats) {}

  /**
   * Training-step phases: for each stage and point, {@code warmup} untimed then {@code steps} timed
   * optimiser steps of the distillation library's stage step ({@link
   * org.mmmamba.distill.stage.StageStep}) on random weights at the config's dims (teacher and an
   * all-Mamba student), with the distillation defaults' stage settings and the pass's precision.
   *
   * @param points tokens per sample x samples per step (empty: no training phases)
   * @param stages which of stage1, stage2, stage3
   * @param warmup untimed steps per point
   * @param steps timed steps per point
   */
  public record Training(List<TrainPoint> points, List<String> stages, int warmup, int steps) {
    /** Defensive copies. */
    public Training {
      points = points == null ? null : List.copyOf(points);
      stages = stages == null ? null : List.copyOf(stages);
    }
  }

  /**
   * One training-step point.
   *
   * @param context tokens per sample (L)
   * @param batch samples per step (B)
   */
  public record TrainPoint(int context, int batch) {}

  /** The passes, typed. */
  public List<BenchPrecision> precisions() {
    return precision.stream().map(BenchPrecision::parse).toList();
  }

  /** Whether pass {@code p} runs decode, prefill and Table 2. */
  public boolean infers(BenchPrecision p) {
    return inferencePrecision.contains(p.key());
  }

  /** The training phases, typed, in stage order. */
  public List<Phase> trainingPhases() {
    return training.stages().stream().map(Phase::parse).sorted().toList();
  }

  /** Reads and validates a YAML file. */
  public static BenchConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new BadInputException(file + ": file not found");
    } catch (IOException e) {
      throw new BadInputException(file + ": cannot read: " + e.getMessage());
    }
    return parse(text, file.toString());
  }

  /** Parses and validates YAML text; {@code where} names its source in errors. */
  public static BenchConfig parse(String yaml, String where) {
    return YamlConfigs.bindComplete(withOptionalKeys(yaml), where, BenchConfig.class)
        .validate(where);
  }

  /**
   * The keys added with the GPU bench, and their values when a config leaves them out (configs
   * written before them stay valid: a CPU run in fp32 without training phases). Every other key is
   * required.
   */
  static final java.util.Map<String, String> OPTIONAL =
      java.util.Map.of(
          "device", "cpu",
          "precision", "fp32",
          "training", "{points: [], stages: [stage1, stage2, stage3], warmup: 1, steps: 2}");

  /**
   * {@code yaml} with the {@link #OPTIONAL} keys it lacks appended (after the last line, so the
   * line numbers of errors stay those of the file); {@code inference_precision} defaults to {@code
   * precision}. Text that does not parse as a mapping is returned as it is (the binder reports it).
   */
  static String withOptionalKeys(String yaml) {
    com.fasterxml.jackson.databind.JsonNode tree;
    try {
      tree =
          new com.fasterxml.jackson.databind.ObjectMapper(
                  new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
              .readTree(yaml);
    } catch (IOException | RuntimeException e) {
      return yaml;
    }
    if (tree == null || !tree.isObject()) {
      return yaml;
    }
    com.fasterxml.jackson.databind.node.ObjectNode o =
        (com.fasterxml.jackson.databind.node.ObjectNode) tree;
    java.util.Map<String, String> add = new java.util.LinkedHashMap<>();
    for (String k : List.of("device", "precision", "training")) {
      if (!o.has(k)) {
        add.put(k, OPTIONAL.get(k));
      }
    }
    if (!o.has("inference_precision")) {
      add.put(
          "inference_precision",
          o.has("precision") ? o.get("precision").toString() : OPTIONAL.get("precision"));
    }
    if (add.isEmpty()) {
      return yaml;
    }
    if (yaml.strip().startsWith("{")) {
      // A flow mapping (JSON): merge in the tree.
      com.fasterxml.jackson.databind.ObjectMapper y =
          new com.fasterxml.jackson.databind.ObjectMapper(
              new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());
      try {
        for (java.util.Map.Entry<String, String> e : add.entrySet()) {
          o.set(e.getKey(), y.readTree(e.getValue()));
        }
        return o.toString();
      } catch (IOException e) {
        return yaml;
      }
    }
    StringBuilder sb = new StringBuilder(yaml);
    if (!yaml.endsWith("\n")) {
      sb.append('\n');
    }
    add.forEach((k, v) -> sb.append(k).append(": ").append(v).append('\n'));
    return sb.toString();
  }

  /** Checks every field; the message names {@code where} and the key. */
  public BenchConfig validate(String where) {
    Dims d = model;
    positive(where, "model.d_model", d.dModel());
    positive(where, "model.layers", d.layers());
    positive(where, "model.heads", d.heads());
    positive(where, "model.kv_heads", d.kvHeads());
    positive(where, "model.head_dim", d.headDim());
    positive(where, "model.ffn", d.ffn());
    positive(where, "model.vocab", d.vocab());
    positive(where, "model.chunk_size", d.chunkSize());
    positive(where, "model.conv_kernel", d.convKernel());
    if (d.heads() % d.kvHeads() != 0) {
      throw new BadInputException(
          where
              + ": model.heads "
              + d.heads()
              + " is not a multiple of model.kv_heads "
              + d.kvHeads());
    }
    if (d.headDim() % 2 != 0) {
      throw new BadInputException(
          where + ": model.head_dim must be even (RoPE), got " + d.headDim());
    }
    if (!"float32".equals(dtype) && !"float64".equals(dtype)) {
      throw new BadInputException(
          where + ": dtype must be float32 or float64, got '" + dtype + "'");
    }
    if (models.isEmpty()) {
      throw new BadInputException(
          where + ": models must list at least one of teacher, linear, hybrid");
    }
    if (models.size() != models.stream().distinct().count()) {
      throw new BadInputException(where + ": models has duplicates: " + models);
    }
    for (int i = 0; i < hybridAttentionLayers.size(); i++) {
      int l = hybridAttentionLayers.get(i);
      if (l < 0 || l >= d.layers()) {
        throw new BadInputException(
            where
                + ": hybrid_attention_layers["
                + i
                + "] = "
                + l
                + " is outside [0, "
                + d.layers()
                + ")");
      }
    }
    if (hybridAttentionLayers.size() != hybridAttentionLayers.stream().distinct().count()) {
      throw new BadInputException(
          where + ": hybrid_attention_layers has duplicates: " + hybridAttentionLayers);
    }
    if (models.contains(BenchModel.HYBRID)
        && (hybridAttentionLayers.isEmpty() || hybridAttentionLayers.size() == d.layers())) {
      throw new BadInputException(
          where
              + ": hybrid_attention_layers must keep some but not all layers as "
              + "attention for the hybrid model, got "
              + hybridAttentionLayers);
    }
    lengths(where, "decode.contexts", decode.contexts(), false);
    nonNegative(where, "decode.warmup", decode.warmup());
    if (!(decode.warmupSeconds() >= 0) || Double.isInfinite(decode.warmupSeconds())) {
      throw new BadInputException(
          where
              + ": decode.warmup_seconds must be a finite number >= 0, got "
              + decode.warmupSeconds());
    }
    positive(where, "decode.repeats", decode.repeats());
    positive(where, "decode.rounds", decode.rounds());
    lengths(where, "prefill.lengths", prefill.lengths(), false);
    lengths(where, "prefill.student_lengths", prefill.studentLengths(), true);
    nonNegative(where, "prefill.warmup", prefill.warmup());
    positive(where, "prefill.repeats", prefill.repeats());
    nonNegative(where, "table2.image_tokens", table2.imageTokens());
    nonNegative(where, "table2.text_tokens", table2.textTokens());
    positive(where, "table2.new_tokens", table2.newTokens());
    if (table2.promptLength() < 1) {
      throw new BadInputException(
          where + ": table2 needs a prompt (image_tokens + text_tokens >= 1)");
    }
    nonNegative(where, "table2.warmup", table2.warmup());
    positive(where, "table2.repeats", table2.repeats());
    positive(where, "floors.copy_mb", floors.copyMb());
    positive(where, "floors.matmul_n", floors.matmulN());
    positive(where, "floors.repeats", floors.repeats());
    nonNegative(where, "threads", threads);
    if (device == null || !device.matches("cpu|gpu|gpu[0-9]+")) {
      throw new BadInputException(
          where + ": device must be cpu, gpu or gpuN, got '" + device + "'");
    }
    if (precision.isEmpty()) {
      throw new BadInputException(where + ": precision must list at least one of fp32, tf32, fp16");
    }
    for (int i = 0; i < precision.size(); i++) {
      try {
        BenchPrecision.parse(precision.get(i));
      } catch (IllegalArgumentException e) {
        throw new BadInputException(where + ": precision[" + i + "]: " + e.getMessage());
      }
      if (precision.subList(0, i).contains(precision.get(i))) {
        throw new BadInputException(
            where + ": precision[" + i + "] = " + precision.get(i) + " is listed twice");
      }
    }
    if (!precision.contains("fp32") && !"float32".equals(dtype)) {
      throw new BadInputException(where + ": dtype must be float32 unless precision is fp32");
    }
    for (int i = 0; i < inferencePrecision.size(); i++) {
      if (!precision.contains(inferencePrecision.get(i))) {
        throw new BadInputException(
            where
                + ": inference_precision["
                + i
                + "] = "
                + inferencePrecision.get(i)
                + " is not one of precision "
                + precision);
      }
    }
    if (training.stages().size() != training.stages().stream().distinct().count()) {
      throw new BadInputException(where + ": training.stages has duplicates: " + training.stages());
    }
    for (int i = 0; i < training.stages().size(); i++) {
      String st = training.stages().get(i);
      if (!List.of("stage1", "stage2", "stage3").contains(st)) {
        throw new BadInputException(
            where
                + ": training.stages["
                + i
                + "] must be stage1, stage2 or stage3, got '"
                + st
                + "'");
      }
    }
    for (int i = 0; i < training.points().size(); i++) {
      TrainPoint tp = training.points().get(i);
      if (tp.context() < 2) {
        throw new BadInputException(
            where + ": training.points[" + i + "].context must be >= 2, got " + tp.context());
      }
      positive(where, "training.points[" + i + "].batch", tp.batch());
    }
    nonNegative(where, "training.warmup", training.warmup());
    positive(where, "training.steps", training.steps());
    return this;
  }

  /** Prefill lengths for model {@code m}: students also run {@code prefill.student_lengths}. */
  public List<Integer> prefillLengths(BenchModel m) {
    if (m == BenchModel.TEACHER) {
      return prefill.lengths();
    }
    java.util.TreeSet<Integer> all = new java.util.TreeSet<>(prefill.lengths());
    all.addAll(prefill.studentLengths());
    return List.copyOf(all);
  }

  private static void lengths(String where, String key, List<Integer> xs, boolean mayBeEmpty) {
    if (xs.isEmpty() && !mayBeEmpty) {
      throw new BadInputException(where + ": " + key + " must list at least one length");
    }
    for (int i = 0; i < xs.size(); i++) {
      if (xs.get(i) < 1) {
        throw new BadInputException(
            where + ": " + key + "[" + i + "] must be >= 1, got " + xs.get(i));
      }
      if (xs.subList(0, i).contains(xs.get(i))) {
        throw new BadInputException(
            where + ": " + key + "[" + i + "] = " + xs.get(i) + " is listed twice");
      }
    }
  }

  private static void positive(String where, String key, int v) {
    if (v <= 0) {
      throw new BadInputException(where + ": " + key + " must be > 0, got " + v);
    }
  }

  private static void nonNegative(String where, String key, int v) {
    if (v < 0) {
      throw new BadInputException(where + ": " + key + " must be >= 0, got " + v);
    }
  }
}
