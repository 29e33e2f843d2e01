package org.mmmamba.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Devices;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.config.LayerKind;
import org.mmmamba.core.io.CheckpointReader;
import org.mmmamba.core.io.SafetensorsWriter;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.model.VlmIo;
import org.mmmamba.core.model.Weights;
import org.mmmamba.core.seed.InitStrategy;
import org.mmmamba.core.seed.Seeder;
import org.mmmamba.distill.checkpoint.TensorIo;
import org.mmmamba.distill.checkpoint.TrainingCheckpoint;
import org.mmmamba.distill.data.Batch;
import org.mmmamba.distill.data.BatchStream;
import org.mmmamba.distill.data.BrokenSamplePolicy;
import org.mmmamba.distill.data.Collator;
import org.mmmamba.distill.data.EncodedSample;
import org.mmmamba.distill.data.ModelInputs;
import org.mmmamba.distill.data.SampleSource;
import org.mmmamba.distill.data.TaskData;
import org.mmmamba.distill.eval.EvalReport;
import org.mmmamba.distill.eval.Evaluator;
import org.mmmamba.distill.metrics.RunManifest;
import org.mmmamba.distill.optim.AdamWConfig;
import org.mmmamba.distill.optim.WeightDecay;
import org.mmmamba.distill.recipe.RunConfig;
import org.mmmamba.distill.recipe.YamlConfigs;
import org.mmmamba.distill.stage.EndToEndLoss;
import org.mmmamba.distill.stage.LayerwiseLoss;
import org.mmmamba.distill.stage.Schedules;
import org.mmmamba.distill.stage.TeacherCache;
import org.mmmamba.distill.stage.TrainableSets;
import org.mmmamba.distill.train.TrainingRun;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mmMamba recipe end to end (method.md §3): seed every layer of the teacher as a Mamba-2 mixer, stage 1
 * (new parameters, layer-wise MSE), stage 2 (all mixer parameters, same loss), then stage 3 (end-to-end KL) once
 * per student layout, then evaluation. The CLI's {@code distill} command and notebooks call {@link #run}.
 *
 * <p>Run directory: {@code config.yaml} (resolved), {@code manifest.json}, {@code stage1/} and {@code stage2/}
 * ({@code train/} checkpoints + metrics, {@code mixers.safetensors} = the stage's result), {@code students/NAME/}
 * ({@code train/}, {@code model/} = a loadable student checkpoint), {@code eval.json}. With {@code resume}, every
 * stage restarts from its last checkpoint (a finished stage restores its final checkpoint and trains no more
 * steps), so an interrupted run ends bitwise equal to an uninterrupted one.
 */
public final class Distillation {
  static {
    Offline.init();
  }

  private static final Logger LOG = LoggerFactory.getLogger(Distillation.class);

  private Distillation() {}

  /**
   * Run options.
   *
   * @param resume continue from what the run directory holds
   * @param layers layers trained in stages 1-2 by this process (null = all); with a subset only stages 1-2 run
   * @param commandLine recorded in the manifest
   * @param force a fresh run may start in a non-empty output directory (see {@link RunDirectory#checkFresh})
   */
  public record Options(boolean resume, List<Integer> layers, List<String> commandLine, boolean force) {
    /** Without {@code force}. */
    public Options(boolean resume, List<Integer> layers, List<String> commandLine) {
      this(resume, layers, commandLine, false);
    }

    /** Fresh run, all layers. */
    public static Options defaults() {
      return new Options(false, null, List.of());
    }
  }

  /** One trained student. */
  public record StudentResult(String name, String layout, Path modelDir, TrainingRun.Summary stage3) {}

  /**
   * What the run produced.
   *
   * @param stage1 null when skipped or loaded
   * @param stage2 null when skipped or loaded
   * @param eval reports by model name (teacher first), empty when evaluation is off
   */
  public record Result(Path outDir, TrainingRun.Summary stage1, TrainingRun.Summary stage2,
      List<StudentResult> students, Map<String, EvalReport> eval) {}

  /**
   * Runs the recipe described by {@code at}. Every input (teacher, tokenizer, datasets, student layouts,
   * {@code init.from}, and on resume every checkpoint to restore and the teacher's identity) is checked before
   * the first file is written, so bad input leaves an existing run directory untouched.
   *
   * @throws BadInputException for bad input, naming the file, key or tensor
   * @throws TrainingRun.NonFiniteStop when a stage with {@code on_non_finite: stop} meets a non-finite value
   */
  public static Result run(YamlConfigs.Located<RunConfig> at, Options o) throws IOException {
    RunConfig c = at.value();
    Path out = c.outDir();
    Path teacherDir = Path.of(c.teacher().path());
    if (!Files.isDirectory(teacherDir)) {
      throw new BadInputException(at.where("teacher.path") + ": " + teacherDir + " not found");
    }
    RunDirectory.checkFresh(out, o.resume(), o.force(), at.where("run.out_dir"));
    org.mmmamba.distill.precision.Precision precision = c.precision();
    precision.checkEnvironment(System.getenv(org.mmmamba.distill.precision.Precision.TF32_ENV),
        at.where("run.precision"));
    // fp16-mixed: teacher, frozen student weights and activations in float16; trainable arrays get float32 masters.
    DataType dt = precision.mixed() ? precision.computeType() : Devices.dtype(c.run().dtype());
    try (NDManager root = Devices.newManager(c.run().device());
        VisionLanguageModel teacher = VlmIo.load(teacherDir, root, dt)) {
      Path tokFile = c.data().tokenizer() != null ? Path.of(c.data().tokenizer()) : teacherDir.resolve("tokenizer.json");
      if (!Files.exists(tokFile)) {
        throw new BadInputException(at.where("data.tokenizer") + ": no tokenizer (" + tokFile + " not found)");
      }
      DecoderModel tdec = teacher.decoder();
      int n = tdec.config().numLayers();
      List<DecoderConfig> studentConfigs = new ArrayList<>();
      for (int i = 0; i < c.students().size(); i++) {
        try {
          studentConfigs.add(Seeder.studentConfig(tdec.config(), HybridLayout.parse(c.students().get(i).layout()),
              c.init().convKernel(), c.init().chunkSize()));
        } catch (BadInputException e) {
          throw new BadInputException(at.where("students[" + i + "].layout") + ": " + e.getMessage(), e);
        }
      }
      List<Integer> layers = o.layers() != null ? o.layers() : IntStream.range(0, n).boxed().toList();
      for (int l : layers) {
        if (l < 0 || l >= n) {
          throw new BadInputException("--layers: layer " + l + " is outside [0, " + n + ")");
        }
      }
      String template = c.data().template() != null ? c.data().template() : teacherTemplate(teacherDir);
      try (TaskData td = TaskData.forModel(tokFile, template, teacher.config(), 1)) {
        BrokenSamplePolicy policy = BrokenSamplePolicy.valueOf(c.data().brokenSamples().toUpperCase(Locale.ROOT));
        RunConfig.Synthetic syn = c.data().synthetic();
        SampleSource train = td.source(c.data().train(), false, syn.seed(), syn.train(), c.data().imageRoot(),
            c.data().maxTokens(), policy);
        InitStrategy init = InitStrategy.parse(c.init().strategy());
        // Stages 1-2 convert every layer (method.md §4): one all-Mamba student holds their results.
        try (DecoderModel all = Seeder.seed(tdec.config(), tdec.weights(), HybridLayout.linear(), init,
            c.run().seed(), c.init().convKernel(), c.init().chunkSize(), root)) {
          if (c.init().from() != null) {
            // Start from an earlier run's stage result (mixers.safetensors) instead of the seeded values.
            load(all.weights(), Path.of(c.init().from()));
            LOG.info("initialised Mamba-2 layers from {}", c.init().from());
          }
          if (o.resume()) {
            verifyCheckpoints(c, all, layers, studentConfigs, o.layers() != null);
          }
          RunManifest manifest = RunManifest.builder().command(o.commandLine()).config(yaml(c)).seed(c.run().seed())
              .teacherDir("teacher", teacherDir).gitSearchStart(Path.of(""))
              .extra("precision", precision.key())
              .extra("tf32_override", String.valueOf(System.getenv(org.mmmamba.distill.precision.Precision.TF32_ENV)))
              .build();
          if (o.resume()) {
            RunDirectory.checkSameInputs(out.resolve("manifest.json"), manifest.toJson(), "teacher/");
          }
          // Every input is checked: from here on the run writes.
          Files.createDirectories(out);
          org.mmmamba.core.io.AtomicText.writeString(out.resolve("config.yaml"), yaml(c));
          if (o.resume()) {
            manifest.writeResumed(out.resolve("manifest.json"));
          } else {
            manifest.write(out.resolve("manifest.json"));
          }
          Ctx ctx = new Ctx(c, at, teacher, td, train, root, dt, o);
          TrainingRun.Summary s1 = layerwise(ctx, 1, c.stages().stage1(), all, layers);
          TrainingRun.Summary s2 = layerwise(ctx, 2, c.stages().stage2(), all, layers);
          List<StudentResult> students = new ArrayList<>();
          Map<String, EvalReport> eval = new LinkedHashMap<>();
          if (o.layers() != null) {
            LOG.info("layer subset {}: stages 1-2 done; merge the parts with `mmmamba merge`", layers);
            return new Result(out, s1, s2, students, eval);
          }
          List<VisionLanguageModel> studentVlms = new ArrayList<>();
          try {
            for (RunConfig.Student st : c.students()) {
              StudentResult sr = endToEnd(ctx, st, all, studentVlms);
              students.add(sr);
            }
            if (Boolean.TRUE.equals(c.eval().enabled()) && c.data().test() != null) {
              eval = evaluate(ctx, studentVlms, students);
              org.mmmamba.core.io.AtomicText.writeString(out.resolve("eval.json"),
                  new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(eval));
            }
          } finally {
            for (VisionLanguageModel v : studentVlms) {
              v.close();
            }
          }
          return new Result(out, s1, s2, students, eval);
        }
      }
    }
  }

  /**
   * Resume preflight: the latest checkpoint of every stage that will restore one must match the tensors that
   * stage trains (names and shapes, weights and optimiser), checked before anything is written.
   */
  static void verifyCheckpoints(RunConfig c, DecoderModel all, List<Integer> layers,
      List<DecoderConfig> studentConfigs, boolean layersOnly) {
    RunConfig.Stage[] layerwise = {c.stages().stage1(), c.stages().stage2()};
    for (int k = 1; k <= 2; k++) {
      if (!trains(layerwise[k - 1])) {
        continue;
      }
      Map<String, long[]> shapes = new LinkedHashMap<>();
      for (String name : TrainableSets.names(k, all.config(), layers)) {
        shapes.put(name, all.weights().get(name).getShape().getShape());
      }
      verifyLatest(c.outDir().resolve("stage" + k).resolve("train"), shapes);
    }
    if (layersOnly || !trains(c.stages().stage3())) {
      return;
    }
    for (int i = 0; i < c.students().size(); i++) {
      DecoderConfig sc = studentConfigs.get(i);
      Map<String, long[]> canonical = org.mmmamba.core.model.RandomWeights.canonicalShapes(sc);
      Map<String, long[]> shapes = new LinkedHashMap<>();
      for (String name : TrainableSets.names(3, sc, null)) {
        shapes.put(name, canonical.get(name));
      }
      verifyLatest(c.outDir().resolve("students").resolve(c.students().get(i).name()).resolve("train"), shapes);
    }
  }

  private static void verifyLatest(Path trainDir, Map<String, long[]> shapes) {
    TrainingCheckpoint.latest(trainDir).ifPresent(ckpt -> TrainingCheckpoint.verify(ckpt, shapes, true));
  }

  private static boolean trains(RunConfig.Stage s) {
    return Boolean.TRUE.equals(s.enabled()) && s.steps() > 0;
  }

  /** Everything a stage needs. */
  private record Ctx(RunConfig c, YamlConfigs.Located<RunConfig> at, VisionLanguageModel teacher, TaskData td,
      SampleSource train, NDManager root, DataType dt, Options o) {
    NDArray embeds(Batch b) {
      return teacher.inputEmbeds(ModelInputs.ids(root, b), ModelInputs.pixels(root, b, dt));
    }

    BatchStream stream(RunConfig.Stage s, int salt) {
      int bs = s.batchSize() != null ? s.batchSize() : c.data().batchSize();
      return new BatchStream(train, bs, c.data().shuffleSeed() + salt, new Collator(td.padId()));
    }

    TrainingRun.Settings settings(String label, RunConfig.Stage s, boolean perLayerClip) {
      return new TrainingRun.Settings(label, s.steps(), Schedules.of(s),
          AdamWConfig.torchDefaults(s.weightDecay()), WeightDecay.official(), s.clip(), s.gradAccum(),
          c.checkpoint().every(), c.checkpoint().keep(), "stop".equalsIgnoreCase(s.onNonFinite()),
          perLayerClip ? n -> String.valueOf(org.mmmamba.core.model.ParamNames.layerOf(n)) : null,
          c.precision(), c.run().maxConsecutiveSkips(), c.run().fp16InitialScale());
    }
  }

  /** Stage 1 or 2 on the all-Mamba student; the result is saved as {@code stageK/mixers.safetensors}. */
  private static TrainingRun.Summary layerwise(Ctx ctx, int k, RunConfig.Stage s, DecoderModel all,
      List<Integer> layers) throws IOException {
    Path dir = ctx.c().outDir().resolve("stage" + k);
    Path result = dir.resolve("mixers.safetensors");
    List<String> names = TrainableSets.names(k, all.config(), layers);
    if (!Boolean.TRUE.equals(s.enabled()) || s.steps() == 0) {
      LOG.info("stage {}: skipped", k);
      return null;
    }
    releaseCachedGpuMemory(ctx.root());
    Map<String, NDArray> trainable = trainable(all.weights(), names);
    LayerwiseLoss loss = new LayerwiseLoss(ctx.teacher().decoder(), all, layers, s.lossScale(),
        "after_wo".equalsIgnoreCase(s.target()), all.config().numLayers());
    String cacheDir = ctx.c().teacher().cacheDir();
    TeacherCache cache = cacheDir == null ? null : new TeacherCache(Path.of(cacheDir), ctx.root(), ctx.dt());
    TrainingRun.Summary sum;
    try {
      // With a teacher cache both layer-wise stages read the same batch order, so stage 2 reuses stage 1's signals.
      sum = TrainingRun.run(dir.resolve("train"), ctx.settings("stage" + k, s, true), trainable,
          ctx.stream(s, cache == null ? k : 1), b -> {
            if (cache == null) {
              return loss.loss(ctx.embeds(b));
            }
            try {
              return loss.loss(cache.get(b, layers, () -> loss.teacherSignals(ctx.embeds(b))));
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          }, ctx.o().resume());
      if (cache != null) {
        LOG.info("stage {}: teacher cache {} hits, {} misses", k, cache.hits(), cache.misses());
      }
    } finally {
      freeze(trainable);
    }
    save(all.weights(), mixerNames(all, layers), result);
    return sum;
  }

  /** Stage 3 for one student layout; returns the saved student. */
  private static StudentResult endToEnd(Ctx ctx, RunConfig.Student st, DecoderModel all,
      List<VisionLanguageModel> keep) throws IOException {
    RunConfig c = ctx.c();
    HybridLayout layout = HybridLayout.parse(st.layout());
    DecoderModel tdec = ctx.teacher().decoder();
    DecoderModel student = Seeder.seed(tdec.config(), tdec.weights(), layout, InitStrategy.parse(c.init().strategy()),
        c.run().seed(), c.init().convKernel(), c.init().chunkSize(), ctx.root());
    VisionLanguageModel vlm = ctx.teacher().withDecoder(student);
    keep.add(vlm);
    // Mamba-2 layers start from stages 1-2.
    for (String name : student.weights().names()) {
      if (name.contains(".mamba.") && all.weights().contains(name)) {
        // In place (index_put_), not copyTo(): that swaps the target's storage for a Java direct buffer, which
        // then holds a trainable parameter outside torch's memory and counts against MaxDirectMemorySize.
        student.weights().get(name).set(new ai.djl.ndarray.index.NDIndex("..."), all.weights().get(name));
      }
    }
    Path dir = c.outDir().resolve("students").resolve(st.name());
    Path modelDir = dir.resolve("model");
    RunConfig.Stage s = c.stages().stage3();
    TrainingRun.Summary sum = null;
    if (Boolean.TRUE.equals(s.enabled()) && s.steps() > 0) {
      releaseCachedGpuMemory(ctx.root());
      Map<String, NDArray> trainable = trainable(student.weights(), TrainableSets.names(3, student.config(), null));
      EndToEndLoss loss = new EndToEndLoss(tdec, student, s.temperature(), s.ceWeight());
      boolean answerOnly = Boolean.TRUE.equals(s.answerOnly());
      try {
        sum = TrainingRun.run(dir.resolve("train"), ctx.settings("stage3:" + st.name(), s, false), trainable,
            ctx.stream(s, 3), b -> {
              NDArray ids = ModelInputs.ids(ctx.root(), b);
              NDArray mask = answerOnly ? ModelInputs.answerPredictionMask(ctx.root(), b, ctx.dt())
                  : ModelInputs.nextTokenMask(ctx.root(), b, ctx.dt());
              NDArray next = ModelInputs.nextIds(ids);
              return loss.loss(ctx.embeds(b), mask, next);
            }, ctx.o().resume());
      } finally {
        freeze(trainable);
      }
    } else {
      LOG.info("stage 3 ({}): skipped", st.name());
    }
    VlmIo.save(vlm, modelDir);
    Path tok = c.data().tokenizer() != null ? Path.of(c.data().tokenizer())
        : Path.of(c.teacher().path()).resolve("tokenizer.json");
    Files.copy(tok, modelDir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
    Path rec = Path.of(c.teacher().path()).resolve("training.json");
    if (Files.exists(rec)) {
      Files.copy(rec, modelDir.resolve("teacher-training.json"), StandardCopyOption.REPLACE_EXISTING);
    }
    return new StudentResult(st.name(), layout.toString(), modelDir, sum);
  }

  private static Map<String, EvalReport> evaluate(Ctx ctx, List<VisionLanguageModel> students,
      List<StudentResult> results) {
    RunConfig c = ctx.c();
    RunConfig.Synthetic syn = c.data().synthetic();
    BrokenSamplePolicy policy = BrokenSamplePolicy.valueOf(c.data().brokenSamples().toUpperCase(Locale.ROOT));
    Map<String, EvalReport> out = new LinkedHashMap<>();
    try (SampleSource test = ctx.td().source(c.data().test(), true, syn.seed(), syn.test(), c.data().imageRoot(),
        c.data().maxTokens(), policy)) {
      List<EncodedSample> samples = TaskData.all(test, c.eval().limit());
      Evaluator ev = new Evaluator(ctx.td().tokenizer(), ctx.td().stopId(), ctx.td().padId(),
          c.eval().maxNewTokens(), 32);
      Evaluator.Answers teacherAnswers = ev.answer(ctx.teacher(), samples);
      out.put("teacher", ev.evaluate("teacher", ctx.teacher(), samples, null, null));
      for (int i = 0; i < students.size(); i++) {
        String name = results.get(i).name();
        out.put(name, ev.evaluate(name, students.get(i), samples, ctx.teacher(), teacherAnswers));
        LOG.info("{}: accuracy {} agreement {}", name, out.get(name).accuracy(), out.get(name).agreement());
      }
    }
    return out;
  }

  /** Every Mamba-2 tensor of the given layers. */
  static List<String> mixerNames(DecoderModel m, List<Integer> layers) {
    return m.weights().names().stream().filter(n -> n.contains(".mamba.")
        && layers.contains(org.mmmamba.core.model.ParamNames.layerOf(n))).collect(Collectors.toList());
  }

  static Map<String, NDArray> trainable(Weights w, List<String> names) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (String n : names) {
      NDArray a = w.get(n);
      a.setRequiresGradient(true);
      out.put(n, a);
    }
    return out;
  }

  static void freeze(Map<String, NDArray> ps) {
    for (NDArray a : ps.values()) {
      a.setRequiresGradient(false);
    }
  }

  /** Saves the named tensors atomically (float32/64 as stored). */
  static void save(Weights w, List<String> names, Path file) throws IOException {
    Files.createDirectories(file.getParent());
    SafetensorsWriter sw = new SafetensorsWriter().metadata("format", "mmmamba-mixers");
    for (String n : names) {
      TensorIo.put(sw, n, w.get(n));
    }
    sw.write(file);
  }

  /** Loads every tensor of {@code file} into the same-named tensors of {@code w}, in place. */
  public static void load(Weights w, Path file) {
    try (CheckpointReader r = CheckpointReader.open(file)) {
      for (String n : r.names()) {
        if (!w.contains(n)) {
          throw new BadInputException(file + ": unexpected tensor '" + n + "' for this student");
        }
        TensorIo.copyInto(r, n, w.get(n));
      }
    }
  }


  /** The chat template the teacher was trained with (its training.json), else "plain". */
  static String teacherTemplate(Path teacherDir) {
    Path rec = teacherDir.resolve("training.json");
    if (!Files.exists(rec)) {
      return "plain";
    }
    try {
      JsonNode n = new ObjectMapper().readTree(rec.toFile());
      return n.has("template") ? n.get("template").asText() : "plain";
    } catch (IOException e) {
      throw new BadInputException(rec + ": not valid JSON");
    }
  }

  static String yaml(RunConfig c) {
    try {
      return new ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
          .setPropertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE)
          .writeValueAsString(c);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * On a GPU, hands libtorch's cached free blocks back to the driver before a stage, so that the device memory a
   * stage holds (nvidia-smi, docs/benchmarks.md) is its own and not the previous stage's cache.
   */
  static void releaseCachedGpuMemory(NDManager m) {
    if (m.getDevice().isGpu()) {
      ai.djl.pytorch.jni.JniUtils.emptyCudaCache();
    }
  }

  static boolean isMamba(DecoderModel m, int l) {
    return m.config().kind(l) == LayerKind.MAMBA2;
  }
}
