package org.mmmamba.app.robust;

import static org.mmmamba.app.robust.Fx.copy;
import static org.mmmamba.app.robust.Fx.rewrite;
import static org.mmmamba.app.robust.Fx.truncate;
import static org.mmmamba.app.robust.Fx.write;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.VlmConfig;
import org.mmmamba.core.config.VlmConfigs;
import org.mmmamba.core.model.RandomWeights;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.model.VlmIo;

/**
 * Every bad input tried against the CLI (and, through {@link ApiMirror}, the matching public API).
 * Each case writes its inputs into a fresh directory and returns the command's arguments; the
 * expected outcome is exit code 2 and one line {@code mmmamba: error: MESSAGE} with MESSAGE
 * matching {@link Case#pattern()}. The table in docs/robustness.md is generated from this list
 * ({@link BadInputTest} keeps them equal).
 */
final class BadInputCases {
  private BadInputCases() {}

  /** Writes a case's inputs into {@code dir} and returns the CLI arguments. */
  @FunctionalInterface
  interface Setup {
    List<String> args(Path dir) throws Exception;
  }

  /**
   * One case.
   *
   * @param id stable name
   * @param command the CLI command
   * @param input what is wrong, for the table
   * @param pattern regex found in the message
   * @param exit expected exit code
   * @param api the public API call is checked too (false: a CLI-only input such as an option's
   *     syntax)
   * @param newFilesAllowed the error is found while working (e.g. a broken sample read in stage 1),
   *     so new files (the run's first outputs) may exist; existing files must still be unchanged
   */
  record Case(
      String id,
      String command,
      String input,
      String pattern,
      int exit,
      boolean api,
      boolean newFilesAllowed,
      Setup setup) {
    Pattern regex() {
      return Pattern.compile(pattern);
    }

    Case cliOnly() {
      return new Case(id, command, input, pattern, exit, false, newFilesAllowed, setup);
    }

    Case allowNewFiles() {
      return new Case(id, command, input, pattern, exit, api, true, setup);
    }
  }

  /** The command of the cases being listed (set per section of {@link #all}). */
  private static String section;

  static Case c(String id, String input, String pattern, Setup setup) {
    return new Case(id, section, input, pattern, 2, true, false, setup);
  }

  static List<String> args(Object... a) {
    List<String> out = new ArrayList<>();
    for (Object o : a) {
      out.add(o.toString());
    }
    return out;
  }

  // ------------------------------------------------------------------ inputs

  static Path ids(Path dir, String json) {
    return write(dir.resolve("ids.json"), json);
  }

  static final String GOOD_IDS = "{\"input_ids\": [[1, 5, 9, 40, 0, 3, 7]]}";

  /** A tiny distillation config (1 step per stage, one student, no eval) writing to {@code out}. */
  static String distillYaml(Path teacher, Path out) {
    return String.join(
        "\n",
        "run: {name: tiny, out_dir: " + out + ", seed: 5, device: cpu}",
        "teacher: {path: " + teacher + "}",
        "data: {batch_size: 4, synthetic: {seed: 2, train: 16, test: 8}}",
        "init: {chunk_size: 4}",
        "students: [{name: linear, layout: linear}]",
        "stages:",
        "  stage1: {steps: 1, schedule: {type: constant, warmup: 0}}",
        "  stage2: {steps: 1, schedule: {type: constant, warmup: 0}}",
        "  stage3: {steps: 1, lr: 1.0e-3, schedule: {type: constant, warmup: 0}}",
        "checkpoint: {every: 1, keep: 1}",
        "eval: {enabled: false}",
        "");
  }

  /**
   * A config file {@code dir/cfg.yaml} of {@link #distillYaml} over the shared teacher, out =
   * dir/out.
   */
  static Path cfg(Path dir) {
    return write(dir.resolve("cfg.yaml"), distillYaml(Fx.teacher(), dir.resolve("out")));
  }

  /** A config whose top level is {@code text} only (the rest comes from the defaults). */
  static Path rawCfg(Path dir, String text) {
    return write(dir.resolve("cfg.yaml"), text);
  }

  /** dir/out = a copy of the finished shared run; dir/cfg.yaml points at it. */
  static Path finishedRun(Path dir) {
    copy(SharedRun.dir(), dir.resolve("out"));
    return cfg(dir);
  }

  /** The teacher copied into dir/teacher (to be damaged). */
  static Path teacherCopy(Path dir) {
    return copy(Fx.teacher(), dir.resolve("teacher"));
  }

  /** A config over a (damaged) teacher copy. */
  static Path cfgOver(Path dir, Path teacher) {
    return write(dir.resolve("cfg.yaml"), distillYaml(teacher, dir.resolve("out")));
  }

  /** A 2-sample JSONL dataset whose second line is {@code bad}; the image lives in dir/img. */
  static Path dataset(Path dir, String bad) throws Exception {
    Files.createDirectories(dir.resolve("img"));
    // A stream, not a path: the test data comes from mmmamba-distill's test jar.
    try (java.io.InputStream in =
        Objects.requireNonNull(BadInputCases.class.getResourceAsStream("/data/images/red.png"))) {
      Files.copy(in, dir.resolve("img/red.png"));
    }
    Files.write(
        dir.resolve("img/corrupt.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3, 4, 5, 6});
    return write(
        dir.resolve("train.jsonl"),
        "{\"image\": \"img/red.png\", \"conversations\": [{\"from\": \"human\", \"value\": \"<image>\\nwhat color ?\"}, "
            + "{\"from\": \"gpt\", \"value\": \"red\"}]}\n"
            + bad
            + "\n");
  }

  static String sample(String image) {
    return "{\"image\": \""
        + image
        + "\", \"conversations\": [{\"from\": \"human\", \"value\": \"<image>\\nwhat color ?\"}, "
        + "{\"from\": \"gpt\", \"value\": \"red\"}]}";
  }

  /** A teacher like the shared one but with {@code extra} more vocabulary rows (random weights). */
  static Path otherVocabTeacher(Path dir, int extra) throws Exception {
    VlmConfig c = VlmConfigs.read(Fx.teacher());
    DecoderConfig s = c.stack();
    DecoderConfig t =
        new DecoderConfig(
            s.family(),
            s.vocabSize() + extra,
            s.hiddenSize(),
            s.numLayers(),
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
            s.mamba(),
            s.layerKinds(),
            s.hasMlp(),
            s.bosTokenId(),
            s.eosTokenIds(),
            s.padTokenId());
    Path out = dir.resolve("other-teacher");
    try (NDManager m = NDManager.newBaseManager();
        VisionLanguageModel v = RandomWeights.vlm(c.withStack(t), m, DataType.FLOAT32, 1, 0.02)) {
      VlmIo.save(v, out);
    }
    Files.copy(Fx.teacher().resolve("tokenizer.json"), out.resolve("tokenizer.json"));
    return out;
  }

  static String replace(Path file, String from, String to) throws Exception {
    String s = Files.readString(file);
    if (!s.contains(from)) {
      throw new IllegalStateException(file + " has no '" + from + "'");
    }
    String r = s.replace(from, to);
    Files.writeString(file, r);
    return r;
  }

  /**
   * Sets top-level key {@code key} of a JSON file to the JSON text {@code value} (the key must
   * exist).
   */
  static void setKey(Path file, String key, String value) throws Exception {
    String s = Files.readString(file);
    java.util.regex.Matcher m =
        Pattern.compile("\"" + Pattern.quote(key) + "\"\\s*:\\s*[^,}\\n]+").matcher(s);
    if (!m.find()) {
      throw new IllegalStateException(file + " has no key " + key);
    }
    Files.writeString(
        file,
        m.replaceFirst(java.util.regex.Matcher.quoteReplacement("\"" + key + "\": " + value)));
  }

  /**
   * Appends options; an option already in {@code a} gets the new value instead (picocli takes each
   * once).
   */
  static List<String> with(List<String> a, String... more) {
    for (int i = 0; i < more.length; i++) {
      boolean hasValue = i + 1 < more.length && !more[i + 1].startsWith("--");
      int at = a.indexOf(more[i]);
      if (at >= 0 && hasValue) {
        a.set(at + 1, more[++i]);
      } else {
        a.add(more[i]);
        if (hasValue) {
          a.add(more[++i]);
        }
      }
    }
    return a;
  }

  /** Drops the first tensor whose name contains {@code part}. */
  static void dropTensor(Path file, String part) {
    rewrite(
        file,
        ts -> {
          List<Fx.Tensor> out = new ArrayList<>(ts);
          out.remove(out.stream().filter(t -> t.name().contains(part)).findFirst().orElseThrow());
          return out;
        });
  }

  static void addTensor(Path file, String name) {
    rewrite(
        file,
        ts -> {
          List<Fx.Tensor> out = new ArrayList<>(ts);
          out.add(new Fx.Tensor(name, new long[] {2}, new float[] {1, 2}));
          return out;
        });
  }

  /** Gives the first tensor whose name contains {@code part} the flat shape [numel]. */
  static void flattenTensor(Path file, String part) {
    rewrite(
        file,
        ts -> {
          List<Fx.Tensor> out = new ArrayList<>();
          boolean done = false;
          for (Fx.Tensor t : ts) {
            if (!done && t.name().contains(part) && t.shape().length > 1) {
              out.add(new Fx.Tensor(t.name(), new long[] {t.values().length}, t.values()));
              done = true;
            } else {
              out.add(t);
            }
          }
          if (!done) {
            throw new IllegalStateException("no 2-d tensor like " + part + " in " + file);
          }
          return out;
        });
  }

  static Path model(Path dir) {
    return Fx.llama(dir.resolve("model"));
  }

  /** logits over dir/model with dir/ids.json, writing the pre-existing dir/logits.safetensors. */
  static List<String> logits(Path dir, String... more) throws Exception {
    Path out = dir.resolve("logits.safetensors");
    if (!Files.exists(out)) {
      write(out, "previous logits: must survive a failed run");
    }
    List<String> a =
        args(
            "logits",
            "--model",
            dir.resolve("model"),
            "--input-ids",
            dir.resolve("ids.json"),
            "--out",
            out,
            "--device",
            "cpu");
    return with(a, more);
  }

  static List<String> generate(Path dir, String... more) {
    Path out = dir.resolve("gen.json");
    write(out, "{\"previous\": true}");
    List<String> a =
        args(
            "generate",
            "--model",
            dir.resolve("model"),
            "--input-ids",
            dir.resolve("ids.json"),
            "--out",
            out,
            "--device",
            "cpu",
            "--max-new-tokens",
            "3");
    return with(a, more);
  }

  /**
   * convert from dir/teacher into a non-empty dir/student with --force (so only the input can stop
   * it).
   */
  static List<String> convert(Path dir, String... more) {
    Path out = dir.resolve("student");
    write(out.resolve("config.json"), "{\"previous\": true}");
    List<String> a = args("convert", "--teacher", dir.resolve("teacher"), "--out", out, "--force");
    return with(a, more);
  }

  /**
   * eval of dir/model (a copy of the shared run's student unless already there) into a pre-existing
   * dir/eval.
   */
  static List<String> eval(Path dir, String... more) {
    if (!Files.exists(dir.resolve("model"))) {
      copy(SharedRun.dir().resolve("students/linear/model"), dir.resolve("model"));
    }
    write(dir.resolve("eval/eval.json"), "{\"previous\": true}");
    List<String> a =
        args(
            "eval",
            "--model",
            dir.resolve("model"),
            "--out",
            dir.resolve("eval"),
            "--device",
            "cpu",
            "--n",
            "4");
    with(a, more);
    if (!a.contains("--data")) {
      a.addAll(List.of("--data", "builtin:shapes"));
    }
    return a;
  }

  static String teacherYaml(Path dir, String... lines) {
    return String.join(
            "\n",
            "run: {name: t, out_dir: " + dir.resolve("tout") + ", seed: 3, device: cpu}",
            "model: {image_size: 28, patch_size: 7, hidden_size: 32, num_heads: 2, num_kv_heads: 1, head_dim: 16,",
            "        intermediate_size: 64, embedding_layers: 1, llm_layers: 1}",
            "train: {steps: 1}",
            "eval: {enabled: false}")
        + "\n"
        + String.join("\n", lines)
        + "\n";
  }

  static final String MIXER = "layers.0.mamba.A_log";

  /** Every case, in table order. */
  static List<Case> all() {
    List<Case> l = new ArrayList<>();
    // ---------------------------------------------------------------- distill: the run config
    section = "distill";
    l.add(
        c(
            "yaml-malformed",
            "YAML with an unclosed flow mapping",
            "cfg\\.yaml:\\d+: malformed YAML",
            d ->
                args(
                    "distill",
                    "--config",
                    rawCfg(d, "run: {name: x, out_dir: y\nstages: [1, 2\n"))));
    l.add(
        c(
            "yaml-truncated",
            "configs/quickstart.yaml cut inside a flow mapping",
            "quickstart\\.yaml:\\d+: malformed YAML",
            d -> {
              String q = Files.readString(Path.of("../configs/quickstart.yaml"));
              String cut = q.substring(0, q.indexOf("synthetic: {seed: 7, tr") + 22);
              return args("distill", "--config", write(d.resolve("quickstart.yaml"), cut));
            }));
    l.add(
        c(
            "yaml-unknown-key",
            "stages.stage1.stepz: 3",
            "cfg\\.yaml:3: unknown key 'stages\\.stage1\\.stepz'",
            d -> args("distill", "--config", rawCfg(d, "stages:\n  stage1:\n    stepz: 3\n"))));
    l.add(
        c(
            "yaml-wrong-type",
            "stages.stage1.steps: many",
            "cfg\\.yaml:3: key 'stages\\.stage1\\.steps'",
            d -> args("distill", "--config", rawCfg(d, "stages:\n  stage1:\n    steps: many\n"))));
    l.add(
        c(
            "yaml-float-for-int",
            "checkpoint.every: 1.5",
            "cfg\\.yaml:1: key 'checkpoint\\.every'",
            d -> args("distill", "--config", rawCfg(d, "checkpoint: {every: 1.5}\n"))));
    l.add(
        c(
            "yaml-impossible",
            "stages.stage1.lr: -1.0",
            "cfg\\.yaml:3: stages\\.stage1\\.lr must be > 0",
            d -> args("distill", "--config", rawCfg(d, "stages:\n  stage1:\n    lr: -1.0\n"))));
    l.add(
        c(
            "yaml-nan",
            "stages.stage2.lr: .nan",
            "cfg\\.yaml:1: malformed YAML \\(Malformed numeric value '\\.nan'",
            d -> args("distill", "--config", rawCfg(d, "stages: {stage2: {lr: .nan}}\n"))));
    l.add(
        c(
            "yaml-impossible-inf",
            "stages.stage2.lr: 1e999 (infinite)",
            "cfg\\.yaml:1: stages\\.stage2\\.lr must be > 0",
            d -> args("distill", "--config", rawCfg(d, "stages: {stage2: {lr: 1e999}}\n"))));
    l.add(
        c(
            "yaml-bad-enum",
            "stages.stage3.on_non_finite: ignore",
            "cfg\\.yaml:1: stages\\.stage3\\.on_non_finite must be skip or stop",
            d ->
                args(
                    "distill",
                    "--config",
                    rawCfg(d, "stages: {stage3: {on_non_finite: ignore}}\n"))));
    l.add(
        c(
            "yaml-not-mapping",
            "a YAML list at the top level",
            "cfg\\.yaml: the top level must be a mapping",
            d -> args("distill", "--config", rawCfg(d, "- a\n- b\n"))));
    l.add(
        c(
            "yaml-duplicate-student",
            "two students named linear",
            "cfg\\.yaml:\\d+: students\\[1\\] duplicate",
            d ->
                args(
                    "distill",
                    "--config",
                    rawCfg(
                        d,
                        "students:\n  - {name: linear, layout: linear}\n"
                            + "  - {name: linear, layout: 'head-stacked:1'}\n"))));
    l.add(
        c(
            "set-unknown-key",
            "--set stages.stage1.stepz=1",
            "--set stages\\.stage1\\.stepz: no such key 'stepz'",
            d -> args("distill", "--config", cfg(d), "--set", "stages.stage1.stepz=1")));
    l.add(
        c(
            "set-wrong-type",
            "--set stages.stage1.steps=abc",
            "key 'stages\\.stage1\\.steps'",
            d -> args("distill", "--config", cfg(d), "--set", "stages.stage1.steps=abc")));
    l.add(
        c(
            "set-impossible",
            "--set checkpoint.keep=0",
            "checkpoint\\.keep must be > 0",
            d -> args("distill", "--config", cfg(d), "--set", "checkpoint.keep=0")));
    l.add(
        c(
            "set-no-equals",
            "--set stages.stage1.steps",
            "--set stages\\.stage1\\.steps: expected key\\.path=value",
            d -> args("distill", "--config", cfg(d), "--set", "stages.stage1.steps")));
    l.add(
        c(
            "config-missing",
            "--config of a missing file",
            "nope\\.yaml: config file not found",
            d -> args("distill", "--config", d.resolve("nope.yaml"))));
    l.add(
        c(
            "config-is-directory",
            "--config of a directory",
            "conf\\.d: cannot read",
            d -> args("distill", "--config", Files.createDirectories(d.resolve("conf.d")))));
    l.add(
        c(
            "layer-kind-bad-layout",
            "students[0].layout: head-interleaved:x",
            "students\\[0\\]\\.layout: layout 'head-interleaved:x'",
            d ->
                args(
                    "distill",
                    "--config",
                    cfg(d),
                    "--set",
                    "students=[{name: a, layout: 'head-interleaved:x'}]")));
    l.add(
        c(
            "layout-too-many-layers",
            "students[0].layout: explicit:0,7 on a 4-layer teacher",
            "students\\[0\\]\\.layout: layout 'explicit:0,7': layer index 7",
            d ->
                args(
                    "distill",
                    "--config",
                    cfg(d),
                    "--set",
                    "students=[{name: a, layout: 'explicit:0,7'}]")));
    // ---------------------------------------------------------------- distill: teacher, data,
    // init, layers
    l.add(
        c(
            "teacher-missing",
            "teacher.path of a missing directory",
            "teacher\\.path.*nope.*not found",
            d -> args("distill", "--config", cfgOver(d, d.resolve("nope")))));
    l.add(
        c(
            "teacher-truncated",
            "teacher model.safetensors cut at 60%",
            "model\\.safetensors.*(truncated|ends)",
            d -> {
              Path t = teacherCopy(d);
              truncate(Fx.weightsFile(t), 0.6);
              return args("distill", "--config", cfgOver(d, t));
            }));
    l.add(
        c(
            "teacher-header-garbage",
            "teacher safetensors with 0xFF over its header length",
            "model\\.safetensors: .*header",
            d -> {
              Path t = teacherCopy(d);
              Fx.scribble(Fx.weightsFile(t), 0, 8);
              return args("distill", "--config", cfgOver(d, t));
            }));
    l.add(
        c(
            "teacher-empty-weights",
            "teacher model.safetensors of 0 bytes",
            "model\\.safetensors: .*(truncated|short|bytes)",
            d -> {
              Path t = teacherCopy(d);
              Files.write(Fx.weightsFile(t), new byte[0]);
              return args("distill", "--config", cfgOver(d, t));
            }));
    l.add(
        c(
            "teacher-config-vs-tensors",
            "teacher config.json vocab_size != its tensors",
            "tensor '[^']+' has shape",
            d -> {
              Path t = teacherCopy(d);
              String s = Files.readString(t.resolve("config.json"));
              java.util.regex.Matcher m =
                  Pattern.compile("\"vocab_size\"\\s*:\\s*(\\d+)").matcher(s);
              if (!m.find()) {
                throw new IllegalStateException("no vocab_size in " + s);
              }
              Files.writeString(
                  t.resolve("config.json"),
                  m.replaceAll("\"vocab_size\": " + (Integer.parseInt(m.group(1)) + 3)));
              return args("distill", "--config", cfgOver(d, t));
            }));
    l.add(
        c(
            "teacher-missing-tensor",
            "teacher checkpoint without one MLP tensor",
            "missing tensor '[^']+'",
            d -> {
              Path t = teacherCopy(d);
              dropTensor(Fx.weightsFile(t), "feed_forward");
              return args("distill", "--config", cfgOver(d, t));
            }));
    l.add(
        c(
            "teacher-extra-tensor",
            "teacher checkpoint with an extra tensor",
            "unexpected tensor 'extra\\.weight'",
            d -> {
              Path t = teacherCopy(d);
              addTensor(Fx.weightsFile(t), "extra.weight");
              return args("distill", "--config", cfgOver(d, t));
            }));
    l.add(
        c(
            "teacher-misshaped-tensor",
            "teacher checkpoint with one matrix flattened",
            "tensor '[^']+' has shape",
            d -> {
              Path t = teacherCopy(d);
              flattenTensor(Fx.weightsFile(t), "feed_forward");
              return args("distill", "--config", cfgOver(d, t));
            }));
    l.add(
        c(
            "teacher-config-malformed",
            "teacher config.json is not JSON",
            "config\\.json: not valid JSON",
            d -> {
              Path t = teacherCopy(d);
              Files.writeString(t.resolve("config.json"), "{\"model_type\": ");
              return args("distill", "--config", cfgOver(d, t));
            }));
    l.add(
        c(
            "teacher-is-text-model",
            "teacher.path of a text-only Llama checkpoint",
            "config\\.json",
            d -> args("distill", "--config", cfgOver(d, model(d)))));
    l.add(
        c(
            "tokenizer-missing",
            "data.tokenizer of a missing file",
            "data\\.tokenizer: no tokenizer",
            d ->
                args(
                    "distill",
                    "--config",
                    cfg(d),
                    "--set",
                    "data.tokenizer=" + d.resolve("nope.json"))));
    l.add(
        c(
            "tokenizer-malformed",
            "data.tokenizer of a file that is not a tokenizer",
            "tok\\.json",
            d ->
                args(
                    "distill",
                    "--config",
                    cfg(d),
                    "--set",
                    "data.tokenizer=" + write(d.resolve("tok.json"), "{\"version\": "))));
    l.add(
        c(
            "tokenizer-larger-than-model",
            "data.tokenizer with more ids than the teacher's vocabulary",
            "big\\.json: the tokenizer has 43 ids, the model's vocabulary only 42",
            d -> {
              Path tok = d.resolve("big.json");
              Files.copy(Fx.teacher().resolve("tokenizer.json"), tok);
              com.fasterxml.jackson.databind.ObjectMapper json =
                  new com.fasterxml.jackson.databind.ObjectMapper();
              com.fasterxml.jackson.databind.node.ObjectNode root =
                  (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(tok.toFile());
              com.fasterxml.jackson.databind.node.ObjectNode vocab =
                  (com.fasterxml.jackson.databind.node.ObjectNode) root.path("model").path("vocab");
              vocab.put("zebra", vocab.size()); // one id past the teacher's embedding table
              json.writeValue(tok.toFile(), root);
              return args("distill", "--config", cfg(d), "--set", "data.tokenizer=" + tok);
            }));
    l.add(
        c(
            "data-missing",
            "data.train of a missing file",
            "nope\\.jsonl: dataset file not found",
            d ->
                args(
                    "distill",
                    "--config",
                    cfg(d),
                    "--set",
                    "data.train=" + d.resolve("nope.jsonl"))));
    l.add(
        c(
            "data-array-broken",
            "data.train: a JSON array that is never closed",
            "train\\.json line \\d+: (broken JSON array|JSON array is not closed)",
            d ->
                args(
                    "distill",
                    "--config",
                    cfg(d),
                    "--set",
                    "data.train="
                        + write(
                            d.resolve("train.json"),
                            "[" + sample("img/red.png") + ", {\"id\": "))));
    l.add(
        c(
                "data-bad-line",
                "JSONL line 2 is not JSON, broken_samples: fail",
                "train\\.jsonl line 2: bad JSON",
                d ->
                    args(
                        "distill",
                        "--config",
                        cfg(d),
                        "--set",
                        "data.train=" + dataset(d, "{\"image\": oops"),
                        "--set",
                        "data.broken_samples=fail"))
            .allowNewFiles());
    l.add(
        c(
                "data-missing-image",
                "JSONL line 2 names a missing image, broken_samples: fail",
                "train\\.jsonl line 2: image file not found",
                d ->
                    args(
                        "distill",
                        "--config",
                        cfg(d),
                        "--set",
                        "data.train=" + dataset(d, sample("img/none.png")),
                        "--set",
                        "data.broken_samples=fail"))
            .allowNewFiles());
    l.add(
        c(
                "data-unreadable-image",
                "JSONL line 2 names a corrupt PNG, broken_samples: fail",
                "train\\.jsonl line 2: .*corrupt\\.png",
                d ->
                    args(
                        "distill",
                        "--config",
                        cfg(d),
                        "--set",
                        "data.train=" + dataset(d, sample("img/corrupt.png")),
                        "--set",
                        "data.broken_samples=fail"))
            .allowNewFiles());
    l.add(
        c(
                "data-all-broken",
                "every sample broken, broken_samples: skip",
                "train\\.jsonl: no usable samples",
                d -> {
                  dataset(d, sample("img/none.png"));
                  write(d.resolve("train.jsonl"), sample("img/none.png") + "\n{\"x\": 1}\n");
                  return args(
                      "distill",
                      "--config",
                      cfg(d),
                      "--set",
                      "data.train=" + d.resolve("train.jsonl"));
                })
            .allowNewFiles());
    l.add(
        c(
            "init-from-missing",
            "init.from of a missing file",
            "nope\\.safetensors: no such file",
            d ->
                args(
                    "distill",
                    "--config",
                    cfg(d),
                    "--set",
                    "init.from=" + d.resolve("nope.safetensors"))));
    l.add(
        c(
            "init-from-other-model",
            "init.from: mixers of a wider model (tensor shapes differ)",
            "mixers\\.safetensors: tensor '"
                + Pattern.quote(MIXER)
                + "' has shape \\[99\\], expected",
            d -> {
              Path f = d.resolve("mixers.safetensors");
              new org.mmmamba.core.io.SafetensorsWriter()
                  .addFloats(MIXER, new long[] {99}, new float[99])
                  .write(f);
              return args("distill", "--config", cfg(d), "--set", "init.from=" + f);
            }));
    l.add(
        c(
            "init-from-extra-layer",
            "init.from: mixers with a layer the teacher lacks",
            "mixers\\.safetensors: unexpected tensor 'layers\\.9\\.mamba\\.A_log'",
            d -> {
              Path f = d.resolve("mixers.safetensors");
              new org.mmmamba.core.io.SafetensorsWriter()
                  .addFloats("layers.9.mamba.A_log", new long[] {2}, new float[2])
                  .write(f);
              return args("distill", "--config", cfg(d), "--set", "init.from=" + f);
            }));
    l.add(
        c(
            "init-from-truncated",
            "init.from: a stage-2 mixers file cut at 50%",
            "mixers\\.safetensors",
            d -> {
              Path f =
                  Files.copy(
                      SharedRun.dir().resolve("stage2/mixers.safetensors"),
                      d.resolve("mixers.safetensors"));
              truncate(f, 0.5);
              return args("distill", "--config", cfg(d), "--set", "init.from=" + f);
            }));
    l.add(
        c(
            "layers-out-of-range",
            "--layers 7 on a 4-layer teacher",
            "--layers: layer 7 is outside \\[0, 4\\)",
            d -> args("distill", "--config", cfg(d), "--layers", "7")));
    l.add(
        c(
                "layers-garbage",
                "--layers a-b",
                "--layers a-b: expected ranges",
                d -> args("distill", "--config", cfg(d), "--layers", "a-b"))
            .cliOnly());
    // ---------------------------------------------------------------- distill: existing runs and
    // --resume
    l.add(
        c(
            "fresh-over-run",
            "a fresh run into the directory of a finished run (no --resume)",
            "run\\.out_dir: .*out already holds a run",
            d -> args("distill", "--config", finishedRun(d))));
    l.add(
        c(
            "resume-missing-tensor",
            "--resume; the stage-1 checkpoint lacks a tensor",
            "ckpt-1/weights\\.safetensors: missing tensor '[^']+'",
            d -> {
              Path cfg = finishedRun(d);
              dropTensor(d.resolve("out/stage1/train/ckpt-1/weights.safetensors"), "mamba");
              return args("distill", "--config", cfg, "--resume");
            }));
    l.add(
        c(
            "resume-extra-tensor",
            "--resume; the stage-3 checkpoint has an extra tensor",
            "ckpt-1/weights\\.safetensors: unexpected tensor 'extra\\.weight'",
            d -> {
              Path cfg = finishedRun(d);
              addTensor(
                  d.resolve("out/students/linear/train/ckpt-1/weights.safetensors"),
                  "extra.weight");
              return args("distill", "--config", cfg, "--resume");
            }));
    l.add(
        c(
            "resume-misshaped-tensor",
            "--resume; a stage-2 checkpoint tensor has another shape",
            "ckpt-1/weights\\.safetensors: tensor '[^']+' has shape",
            d -> {
              Path cfg = finishedRun(d);
              flattenTensor(d.resolve("out/stage2/train/ckpt-1/weights.safetensors"), "mamba");
              return args("distill", "--config", cfg, "--resume");
            }));
    l.add(
        c(
            "resume-truncated-weights",
            "--resume; the stage-1 checkpoint weights cut at 50%",
            "ckpt-1/weights\\.safetensors",
            d -> {
              Path cfg = finishedRun(d);
              truncate(d.resolve("out/stage1/train/ckpt-1/weights.safetensors"), 0.5);
              return args("distill", "--config", cfg, "--resume");
            }));
    l.add(
        c(
            "resume-truncated-optimizer",
            "--resume; the stage-1 optimiser state cut at 50%",
            "ckpt-1/optimizer\\.safetensors",
            d -> {
              Path cfg = finishedRun(d);
              truncate(d.resolve("out/stage1/train/ckpt-1/optimizer.safetensors"), 0.5);
              return args("distill", "--config", cfg, "--resume");
            }));
    l.add(
        c(
            "resume-other-teacher",
            "--resume of a run with a teacher of another vocabulary",
            "manifest\\.json: teacher file config\\.json differs from the one this run started with",
            d -> {
              finishedRun(d);
              Path cfg = cfgOver(d, otherVocabTeacher(d, 5));
              return args("distill", "--config", cfg, "--resume");
            }));
    // ---------------------------------------------------------------- logits
    section = "logits";
    l.add(
        c(
            "logits-model-missing",
            "--model of a missing directory",
            "nope: model directory not found",
            d -> {
              ids(d, GOOD_IDS);
              Files.createDirectories(d.resolve("model"));
              return args(
                  "logits",
                  "--model",
                  d.resolve("nope"),
                  "--input-ids",
                  d.resolve("ids.json"),
                  "--out",
                  write(d.resolve("logits.safetensors"), "previous"));
            }));
    l.add(
        c(
            "ids-missing",
            "--input-ids of a missing file",
            "ids\\.json: file not found",
            d -> {
              model(d);
              return logits(d);
            }));
    l.add(
        c(
            "ids-not-json",
            "--input-ids file is not JSON",
            "ids\\.json: not valid JSON",
            d -> {
              model(d);
              ids(d, "[[1, 2");
              return logits(d);
            }));
    l.add(
        c(
            "ids-no-rows",
            "{\"input_ids\": []}",
            "ids\\.json: expected \\{\"input_ids\"",
            d -> {
              model(d);
              ids(d, "{\"input_ids\": []}");
              return logits(d);
            }));
    l.add(
        c(
            "ids-ragged",
            "rows of different lengths",
            "ids\\.json: input_ids rows must have equal length",
            d -> {
              model(d);
              ids(d, "{\"input_ids\": [[1, 2, 3], [1, 2]]}");
              return logits(d);
            }));
    l.add(
        c(
            "ids-float",
            "a token id 1.5",
            "ids\\.json: input_ids\\[0\\]\\[1\\] is not an integer",
            d -> {
              model(d);
              ids(d, "{\"input_ids\": [[1, 1.5]]}");
              return logits(d);
            }));
    l.add(
        c(
            "ids-too-large",
            "a token id 2^40",
            "ids\\.json: token id 1099511627776 at row 0, position 0 is outside the vocabulary",
            d -> {
              model(d);
              ids(d, "{\"input_ids\": [[1099511627776]]}");
              return logits(d);
            }));
    l.add(
        c(
            "ids-out-of-vocab",
            "token id 41 for vocab_size 41",
            "ids\\.json: token id 41 at row 0, position 2",
            d -> {
              model(d);
              ids(d, "{\"input_ids\": [[1, 2, 41]]}");
              return logits(d);
            }));
    l.add(
        c(
            "ids-negative",
            "token id -1",
            "ids\\.json: token id -1 at row 0, position 0",
            d -> {
              model(d);
              ids(d, "{\"input_ids\": [[-1, 2]]}");
              return logits(d);
            }));
    l.add(
        c(
            "ids-too-long",
            "7 tokens for max_position_embeddings 6",
            "ids\\.json: row length 7 exceeds the model's "
                + "limit of 6 tokens \\(max_position_embeddings",
            d -> {
              setKey(model(d).resolve("config.json"), "max_position_embeddings", "6");
              ids(d, GOOD_IDS);
              return logits(d);
            }));
    l.add(
        c(
            "ids-over-max-length",
            "7 tokens with --max-length 5",
            "ids\\.json: row length 7 exceeds the model's "
                + "limit of 5 tokens \\(--max-length\\)",
            d -> {
              model(d);
              ids(d, GOOD_IDS);
              return logits(d, "--max-length", "5");
            }));
    l.add(
        c(
            "model-config-malformed",
            "config.json is not JSON",
            "config\\.json: not valid JSON",
            d -> {
              Files.writeString(model(d).resolve("config.json"), "{\"hidden_size\": 32,");
              ids(d, GOOD_IDS);
              return logits(d);
            }));
    l.add(
        c(
            "model-config-wrong-type",
            "config.json hidden_size: \"big\"",
            "config\\.json.*hidden_size",
            d -> {
              setKey(model(d).resolve("config.json"), "hidden_size", "\"big\"");
              ids(d, GOOD_IDS);
              return logits(d);
            }));
    l.add(
        c(
            "model-config-impossible",
            "config.json num_key_value_heads 3 for 4 heads",
            "config\\.json.*num_attention_heads 4",
            d -> {
              setKey(model(d).resolve("config.json"), "num_key_value_heads", "3");
              ids(d, GOOD_IDS);
              return logits(d);
            }));
    l.add(
        c(
            "model-config-vs-tensors",
            "config.json vocab_size 50, tensors of 41 rows",
            "model: tensor 'model\\.embed_tokens\\.weight' has shape \\[41, 32\\], expected \\[50, 32\\]",
            d -> {
              setKey(model(d).resolve("config.json"), "vocab_size", "50");
              ids(d, GOOD_IDS);
              return logits(d);
            }));
    l.add(
        c(
            "model-missing-tensor",
            "checkpoint without model.norm.weight",
            "model: missing tensor 'model\\.norm\\.weight'",
            d -> {
              dropTensor(model(d).resolve("model.safetensors"), "model.norm.weight");
              ids(d, GOOD_IDS);
              return logits(d);
            }));
    l.add(
        c(
            "model-extra-tensor",
            "checkpoint with an extra tensor",
            "unexpected tensor 'extra\\.weight'",
            d -> {
              addTensor(model(d).resolve("model.safetensors"), "extra.weight");
              ids(d, GOOD_IDS);
              return logits(d);
            }));
    l.add(
        c(
            "model-misshaped-tensor",
            "checkpoint with q_proj flattened",
            "tensor '[^']*q_proj[^']*' has shape",
            d -> {
              flattenTensor(model(d).resolve("model.safetensors"), "q_proj");
              ids(d, GOOD_IDS);
              return logits(d);
            }));
    l.add(
        c(
            "model-truncated",
            "model.safetensors cut at 70%",
            "model\\.safetensors",
            d -> {
              truncate(model(d).resolve("model.safetensors"), 0.7);
              ids(d, GOOD_IDS);
              return logits(d);
            }));
    l.add(
        c(
            "model-header-garbage",
            "model.safetensors header overwritten with 0xFF",
            "model\\.safetensors",
            d -> {
              Fx.scribble(model(d).resolve("model.safetensors"), 8, 40);
              ids(d, GOOD_IDS);
              return logits(d);
            }));
    l.add(
        c(
            "model-no-weights",
            "model directory with config.json only",
            "model: no \\.safetensors files",
            d -> {
              Files.delete(model(d).resolve("model.safetensors"));
              ids(d, GOOD_IDS);
              return logits(d);
            }));
    l.add(
        c(
                "out-dir-missing",
                "--out inside a missing directory",
                "--out .*nodir.*does not exist",
                d -> {
                  model(d);
                  ids(d, GOOD_IDS);
                  return args(
                      "logits",
                      "--model",
                      d.resolve("model"),
                      "--input-ids",
                      d.resolve("ids.json"),
                      "--out",
                      d.resolve("nodir/l.safetensors"),
                      "--device",
                      "cpu");
                })
            .cliOnly());
    l.add(
        c(
            "dtype-unknown",
            "--dtype float8",
            "unknown dtype 'float8'",
            d -> {
              model(d);
              ids(d, GOOD_IDS);
              return logits(d, "--dtype", "float8");
            }));
    l.add(
        c(
            "device-unknown",
            "--device tpu",
            "device 'tpu'",
            d -> {
              model(d);
              ids(d, GOOD_IDS);
              return logits(d, "--device", "tpu");
            }));
    l.add(
        c(
                "option-unknown",
                "--frobnicate",
                "Unknown option: '--frobnicate'",
                d -> {
                  model(d);
                  ids(d, GOOD_IDS);
                  return logits(d, "--frobnicate");
                })
            .cliOnly());
    l.add(
        c(
                "option-missing",
                "logits without --out",
                "Missing required option: '--out=<out>'",
                d -> args("logits", "--model", model(d), "--input-ids", ids(d, GOOD_IDS)))
            .cliOnly());
    // ---------------------------------------------------------------- generate
    section = "generate";
    l.add(
        c(
            "gen-negative-new-tokens",
            "--max-new-tokens -1",
            "max_new_tokens must be >= 0",
            d -> {
              model(d);
              ids(d, GOOD_IDS);
              return generate(d, "--max-new-tokens", "-1");
            }));
    l.add(
        c(
            "gen-too-long",
            "--max-new-tokens 2000000000",
            "ids\\.json: row length 7 \\+ 2000000000 new tokens "
                + "exceeds the model's limit of 4096 tokens",
            d -> {
              model(d);
              ids(d, GOOD_IDS);
              return generate(d, "--max-new-tokens", "2000000000");
            }));
    l.add(
        c(
                "gen-new-tokens-not-int",
                "--max-new-tokens many",
                "Invalid value for option '--max-new-tokens'",
                d -> {
                  model(d);
                  ids(d, GOOD_IDS);
                  return generate(d, "--max-new-tokens", "many");
                })
            .cliOnly());
    l.add(
        c(
            "gen-temperature-zero",
            "--temperature 0",
            "temperature must be > 0",
            d -> {
              model(d);
              ids(d, GOOD_IDS);
              return generate(d, "--temperature", "0");
            }));
    l.add(
        c(
            "gen-top-p",
            "--top-p 1.5 --temperature 1",
            "top_p must be in \\(0, 1\\]",
            d -> {
              model(d);
              ids(d, GOOD_IDS);
              return generate(d, "--temperature", "1", "--top-p", "1.5");
            }));
    l.add(
        c(
            "gen-out-of-vocab",
            "token id 99",
            "ids\\.json: token id 99 at row 0, position 1",
            d -> {
              model(d);
              ids(d, "{\"input_ids\": [[1, 99]]}");
              return generate(d);
            }));
    // ---------------------------------------------------------------- convert
    section = "convert";
    l.add(
        c(
            "convert-teacher-missing",
            "--teacher of a missing directory",
            "teacher: teacher directory not found",
            d -> convert(d)));
    l.add(
        c(
            "convert-layout-bad",
            "--layout head-interleaved:x",
            "layout 'head-interleaved:x'",
            d -> {
              Fx.llama(d.resolve("teacher"));
              return convert(d, "--layout", "head-interleaved:x");
            }));
    l.add(
        c(
            "convert-layout-range",
            "--layout explicit:0,9 on 4 layers",
            "layer index 9",
            d -> {
              Fx.llama(d.resolve("teacher"));
              return convert(d, "--layout", "explicit:0,9");
            }));
    l.add(
        c(
            "convert-init-bad",
            "--init magic",
            "init 'magic': unknown strategy",
            d -> {
              Fx.llama(d.resolve("teacher"));
              return convert(d, "--init", "magic");
            }));
    l.add(
        c(
            "convert-conv-kernel",
            "--conv-kernel 0",
            "conv.*kernel.*0|d_conv",
            d -> {
              Fx.llama(d.resolve("teacher"));
              return convert(d, "--conv-kernel", "0");
            }));
    l.add(
        c(
            "convert-chunk-size",
            "--chunk-size 0",
            "chunk.?size",
            d -> {
              Fx.llama(d.resolve("teacher"));
              return convert(d, "--chunk-size", "0");
            }));
    l.add(
        c(
            "convert-teacher-truncated",
            "teacher model.safetensors cut at 50% (--force over a student)",
            "model\\.safetensors",
            d -> {
              truncate(Fx.llama(d.resolve("teacher")).resolve("model.safetensors"), 0.5);
              return convert(d);
            }));
    l.add(
        c(
            "convert-teacher-mamba",
            "--teacher of a Mamba-2 checkpoint (no attention to convert)",
            "teacher.*(attention|mamba)",
            d -> {
              copy(
                  Path.of("../mmmamba-core/src/test/resources/fixtures/mamba2"),
                  d.resolve("teacher"));
              return convert(d);
            }));
    l.add(
        c(
            "convert-out-is-file",
            "--out of an existing file",
            "--out exists and is not a directory",
            d -> {
              Fx.llama(d.resolve("teacher"));
              write(d.resolve("student.txt"), "keep");
              return args(
                  "convert", "--teacher", d.resolve("teacher"), "--out", d.resolve("student.txt"));
            }));
    // ---------------------------------------------------------------- eval
    section = "eval";
    l.add(
        c(
            "eval-model-missing",
            "--model of a missing directory",
            "nope: model directory not found",
            d -> {
              List<String> a = eval(d);
              a.set(a.indexOf("--model") + 1, d.resolve("nope").toString());
              return a;
            }));
    l.add(
        c(
            "eval-no-tokenizer",
            "--model directory without tokenizer.json",
            "no tokenizer\\.json",
            d -> {
              List<String> a = eval(d);
              Files.delete(d.resolve("model/tokenizer.json"));
              return a;
            }));
    l.add(
        c(
            "eval-student-config-vs-tensors",
            "student config.json declares a Mamba-2 layer as attention",
            "model: (missing|unexpected) tensor",
            d -> {
              List<String> a = eval(d);
              replace(d.resolve("model/config.json"), "\"mamba2\"", "\"mha\"");
              return a;
            }));
    l.add(
        c(
            "eval-data-missing",
            "--data of a missing file",
            "nope\\.jsonl: dataset file not found",
            d -> eval(d, "--data", d.resolve("nope.jsonl").toString())));
    l.add(
        c(
            "eval-data-all-broken",
            "--data whose samples are all broken",
            "no usable samples",
            d -> {
              dataset(d, sample("img/none.png"));
              write(d.resolve("train.jsonl"), sample("img/corrupt.png") + "\n{\"x\": 1}\n");
              return eval(d, "--data", d.resolve("train.jsonl").toString());
            }));
    l.add(
        c(
            "eval-teacher-vocab",
            "--teacher with another vocabulary size",
            "other-teacher: vocab_size \\d+ differs from the model's \\d+",
            d -> {
              List<String> a = eval(d, "--teacher", otherVocabTeacher(d, 5).toString());
              return a;
            }));
    l.add(
        c(
            "eval-teacher-text-only",
            "--teacher of a text-only Llama checkpoint",
            "model/config\\.json",
            d -> {
              List<String> a = eval(d);
              Path t = Fx.llama(d.resolve("llama/model"));
              a.addAll(List.of("--teacher", t.toString()));
              return a;
            }));
    l.add(
        c(
            "eval-limit-negative",
            "--limit -1",
            "--limit must be >= 0",
            d -> eval(d, "--limit", "-1")));
    l.add(
        c(
            "eval-max-new-tokens-zero",
            "--max-new-tokens 0",
            "--max-new-tokens must be > 0",
            d -> eval(d, "--max-new-tokens", "0")));
    l.add(c("eval-n-zero", "--n 0", "--n must be > 0", d -> eval(d, "--n", "0")));
    // ---------------------------------------------------------------- train-teacher
    section = "train-teacher";
    l.add(
        c(
            "teacher-config-missing",
            "--config of a missing file",
            "nope\\.yaml: config file not found",
            d -> args("train-teacher", "--config", d.resolve("nope.yaml"))));
    l.add(
        c(
            "teacher-unknown-key",
            "model.hiden_size: 32",
            "t\\.yaml:\\d+: unknown key 'model\\.hiden_size'",
            d ->
                args(
                    "train-teacher",
                    "--config",
                    write(
                        d.resolve("t.yaml"),
                        teacherYaml(d).replace("hidden_size", "hiden_size")))));
    l.add(
        c(
            "teacher-impossible",
            "train.steps: -1",
            "t\\.yaml:\\d+: train\\.steps must be >= 1",
            d ->
                args(
                    "train-teacher",
                    "--config",
                    write(
                        d.resolve("t.yaml"),
                        teacherYaml(d).replace("train: {steps: 1}", "train: {steps: -1}")))));
    l.add(
        c(
            "teacher-tokenizer-missing",
            "data.tokenizer of a missing file",
            "data\\.tokenizer.*nope\\.json.*not found",
            d ->
                args(
                    "train-teacher",
                    "--config",
                    write(
                        d.resolve("t.yaml"),
                        teacherYaml(d, "data: {tokenizer: " + d.resolve("nope.json") + "}")))));
    l.add(
        c(
            "teacher-fresh-over-run",
            "a fresh run into a directory holding a teacher run (no --resume)",
            "run\\.out_dir: .*tout already holds a run",
            d -> {
              write(d.resolve("tout/train/metrics.jsonl"), "{\"step\": 1}\n");
              return args("train-teacher", "--config", write(d.resolve("t.yaml"), teacherYaml(d)));
            }));
    // ---------------------------------------------------------------- quickstart
    section = "quickstart";
    l.add(
        c(
                "quickstart-config-missing",
                "--config of a missing file",
                "nope\\.yaml: config file not found",
                d -> args("quickstart", "--config", d.resolve("nope.yaml")))
            .cliOnly());
    l.add(
        c(
                "quickstart-set-unknown",
                "--set stages.stage9.steps=1",
                "--set stages\\.stage9\\.steps: no such key",
                d -> args("quickstart", "--config", cfg(d), "--set", "stages.stage9.steps=1"))
            .cliOnly());
    return l;
  }
}
