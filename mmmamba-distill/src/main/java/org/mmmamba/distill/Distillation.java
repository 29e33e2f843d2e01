package org.mmmamba.distill;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Devices;
import org.mmmamba.core.api.Models;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.io.AtomicText;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.seed.Seeder;
import org.mmmamba.core.text.InternLm2Tokenizer;
import org.mmmamba.distill.card.Cards;
import org.mmmamba.distill.data.SampleSource;
import org.mmmamba.distill.data.TaskData;
import org.mmmamba.distill.eval.EvalReport;
import org.mmmamba.distill.eval.Evaluation;
import org.mmmamba.distill.eval.HeldOutEvaluation;
import org.mmmamba.distill.eval.MidRunEvaluation;
import org.mmmamba.distill.metrics.RunManifest;
import org.mmmamba.distill.precision.Precision;
import org.mmmamba.distill.recipe.RunConfig;
import org.mmmamba.distill.recipe.YamlConfigs;
import org.mmmamba.distill.stage.DistilTheNew;
import org.mmmamba.distill.stage.DistilTheWhole;
import org.mmmamba.distill.stage.EndToEnd;
import org.mmmamba.distill.stage.Mixers;
import org.mmmamba.distill.stage.ResumeCheck;
import org.mmmamba.distill.stage.Stage;
import org.mmmamba.distill.stage.StageContext;
import org.mmmamba.distill.train.RunHooks;
import org.mmmamba.distill.train.TrainingRun;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mmMamba recipe end to end (docs/method.md): seed every layer of the teacher as a Mamba-2
 * mixer, then run the three {@link Stage}s in order: {@link DistilTheNew} and {@link
 * DistilTheWhole} on one all-Mamba student, then {@link EndToEnd} once per student layout, then the
 * held-out evaluation. The CLI's {@code distill} command and notebooks call {@link #run}.
 *
 * <p>Run directory: {@code config.yaml} (resolved), {@code manifest.json}, {@code stage1/} and
 * {@code stage2/} ({@code train/} checkpoints + metrics, {@code mixers.safetensors} = the stage's
 * result), {@code students/NAME/} ({@code train/}, {@code model/} = a loadable student checkpoint),
 * {@code eval.json}. With {@code resume}, every stage restarts from its last checkpoint (a finished
 * stage restores its final checkpoint and trains no more steps), so an interrupted run ends bitwise
 * equal to an uninterrupted one.
 */
public final class Distillation {
  private static final Logger LOG = LoggerFactory.getLogger(Distillation.class);

  private Distillation() {}

  /**
   * Run options.
   *
   * @param resume continue from what the run directory holds
   * @param layers layers trained in stages 1-2 by this process (null = all); with a subset only
   *     stages 1-2 run
   * @param commandLine recorded in the manifest
   * @param force a fresh run may start in a non-empty output directory (see {@link
   *     RunDirectory#checkFresh})
   * @param onStep called after every optimiser step of every stage (progress observers, memory
   *     probes); null for none
   */
  public record Options(
      boolean resume,
      List<Integer> layers,
      List<String> commandLine,
      boolean force,
      RunHooks.StepListener onStep) {
    /** Without a step listener. */
    public Options(boolean resume, List<Integer> layers, List<String> commandLine, boolean force) {
      this(resume, layers, commandLine, force, null);
    }

    /** Without {@code force}. */
    public Options(boolean resume, List<Integer> layers, List<String> commandLine) {
      this(resume, layers, commandLine, false);
    }

    /**
     * @param listener called after every optimiser step of every stage
     * @return these options with {@code listener}
     */
    public Options withStepListener(RunHooks.StepListener listener) {
      return new Options(resume, layers, commandLine, force, listener);
    }

    /** Fresh run, all layers. */
    public static Options defaults() {
      return new Options(false, null, List.of());
    }
  }

  /** One trained student. */
  public record StudentResult(
      String name, String layout, Path modelDir, TrainingRun.Summary stage3) {}

  /**
   * What the run produced.
   *
   * @param stage1 null when skipped or loaded
   * @param stage2 null when skipped or loaded
   * @param eval reports by model name (teacher first), empty when evaluation is off
   */
  public record Result(
      Path outDir,
      TrainingRun.Summary stage1,
      TrainingRun.Summary stage2,
      List<StudentResult> students,
      Map<String, EvalReport> eval) {}

  /**
   * Runs the recipe described by {@code at}. Every input (teacher, tokenizer, datasets, student
   * layouts, {@code init.from}, and on resume every checkpoint to restore and the teacher's
   * identity) is checked before the first file is written, so bad input leaves an existing run
   * directory untouched.
   *
   * @throws BadInputException for bad input, naming the file, key or tensor
   * @throws TrainingRun.NonFiniteStop when a stage with {@code on_non_finite: stop} meets a
   *     non-finite value
   */
  public static Result run(YamlConfigs.Located<RunConfig> at, Options o) throws IOException {
    RunConfig c = at.value();
    Path out = c.outDir();
    DistilTheNew stage1 = new DistilTheNew(c.distilTheNew());
    DistilTheWhole stage2 = new DistilTheWhole(c.distilTheWhole());
    EndToEnd stage3 = new EndToEnd(c.endToEnd());
    Path teacherDir = Path.of(c.teacher().path());
    if (!Files.isDirectory(teacherDir)) {
      throw new BadInputException(at.where("teacher.path") + ": " + teacherDir + " not found");
    }
    RunDirectory.checkFresh(out, o.resume(), o.force(), at.where("run.out_dir"));
    Precision precision = c.precision();
    precision.checkEnvironment(System.getenv(Precision.TF32_ENV), at.where("run.precision"));
    // fp16-mixed: teacher, frozen student weights and activations in float16; trainable arrays get
    // float32 masters.
    DataType dt = precision.mixed() ? precision.computeType() : Devices.dtype(c.run().dtype());
    List<ai.djl.Device> devices = null;
    if (c.run().devices() != null) {
      try {
        devices = c.run().devices().resolve(ai.djl.engine.Engine.getInstance().getGpuCount());
      } catch (IllegalArgumentException e) {
        throw new BadInputException(at.where("run.devices") + ": " + e.getMessage(), e);
      }
    }
    try (NDManager root =
            devices == null
                ? Devices.newManager(c.run().device())
                : NDManager.newBaseManager(devices.get(0));
        VisionLanguageModel teacher = Models.loadVlm(teacherDir, root, dt)) {
      Path tokFile =
          c.data().tokenizer() != null
              ? Path.of(c.data().tokenizer())
              : teacherTokenizer(teacherDir);
      if (!Files.exists(tokFile)) {
        throw new BadInputException(
            at.where("data.tokenizer") + ": no tokenizer (" + tokFile + " not found)");
      }
      DecoderModel tdec = teacher.decoder();
      int n = tdec.config().numLayers();
      List<DecoderConfig> studentConfigs = new ArrayList<>();
      for (int i = 0; i < c.students().size(); i++) {
        try {
          studentConfigs.add(
              Seeder.studentConfig(
                  tdec.config(),
                  HybridLayout.parse(c.students().get(i).layout()),
                  c.init().convKernel(),
                  c.init().chunkSize()));
        } catch (BadInputException e) {
          throw new BadInputException(
              at.where("students[" + i + "].layout") + ": " + e.getMessage(), e);
        }
      }
      List<Integer> layers =
          o.layers() != null ? o.layers() : IntStream.range(0, n).boxed().toList();
      for (int l : layers) {
        if (l < 0 || l >= n) {
          throw new BadInputException("--layers: layer " + l + " is outside [0, " + n + ")");
        }
      }
      String template =
          c.data().template() != null ? c.data().template() : Evaluation.template(teacherDir);
      try (TaskData td = TaskData.forModel(tokFile, template, teacher.config(), 1)) {
        RunConfig.Synthetic syn = c.data().synthetic();
        SampleSource train =
            td.source(
                c.data().train(),
                false,
                syn.seed(),
                syn.train(),
                c.data().imageRoot(),
                c.data().maxTokens(),
                c.brokenSamplePolicy());
        // Stages 1-2 convert every layer (docs/method.md): one all-Mamba student holds their
        // results.
        try (DecoderModel all =
            Seeder.seedSharingFrozen(
                teacher.config(),
                tdec.weights(),
                HybridLayout.linear(),
                c.initStrategy(),
                c.run().seed(),
                c.init().convKernel(),
                c.init().chunkSize(),
                root)) {
          if (c.init().from() != null) {
            // Start from an earlier run's stage result (mixers.safetensors) instead of the seeded
            // values.
            Mixers.load(all.weights(), Path.of(c.init().from()));
            LOG.info("initialised Mamba-2 layers from {}", c.init().from());
          }
          if (o.resume()) {
            ResumeCheck.verify(
                c,
                List.of(stage1, stage2, stage3),
                all,
                layers,
                studentConfigs,
                o.layers() != null);
          }
          RunManifest manifest =
              RunManifest.builder()
                  .command(o.commandLine())
                  .config(c.toYaml())
                  .seed(c.run().seed())
                  .teacherDir("teacher", teacherDir)
                  .extra("precision", precision.key())
                  .extra("tf32_override", String.valueOf(System.getenv(Precision.TF32_ENV)))
                  .extra(
                      "devices", devices == null ? root.getDevice().toString() : devices.toString())
                  .build();
          if (o.resume()) {
            RunDirectory.checkSameInputs(
                out.resolve("manifest.json"), manifest.toJson(), "teacher/");
          }
          // Every input is checked: from here on the run writes.
          Files.createDirectories(out);
          AtomicText.writeString(out.resolve("config.yaml"), c.toYaml());
          if (o.resume()) {
            manifest.writeResumed(out.resolve("manifest.json"));
          } else {
            manifest.write(out.resolve("manifest.json"));
          }
          StageContext ctx =
              new StageContext(
                  c,
                  teacher,
                  td,
                  train,
                  root,
                  dt,
                  o.resume(),
                  MidRunEvaluation.forRun(c, td, teacher),
                  o.onStep(),
                  devices);
          TrainingRun.Summary s1 = stage1.train(ctx, all, layers);
          TrainingRun.Summary s2 = stage2.train(ctx, all, layers);
          List<StudentResult> students = new ArrayList<>();
          Map<String, EvalReport> eval = new LinkedHashMap<>();
          if (o.layers() != null) {
            LOG.info(
                "layer subset {}: stages 1-2 done; merge the parts with `mmmamba merge`", layers);
            return new Result(out, s1, s2, students, eval);
          }
          List<VisionLanguageModel> studentVlms = new ArrayList<>();
          try {
            for (RunConfig.Student st : c.students()) {
              TrainingRun.Summary s3 = stage3.train(ctx, st, all, studentVlms);
              students.add(
                  new StudentResult(
                      st.name(),
                      HybridLayout.parse(st.layout()).toString(),
                      stage3.dir(out, st.name()).resolve("model"),
                      s3));
            }
            if (Boolean.TRUE.equals(c.eval().enabled()) && c.data().test() != null) {
              eval =
                  HeldOutEvaluation.run(
                      c,
                      td,
                      teacher,
                      students.stream().map(StudentResult::name).toList(),
                      studentVlms);
              AtomicText.writeString(
                  out.resolve("eval.json"),
                  new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(eval));
            }
          } finally {
            for (VisionLanguageModel v : studentVlms) {
              v.close();
            }
          }
          Result result = new Result(out, s1, s2, students, eval);
          Cards.writeStudents(
              result,
              c,
              manifest.toJson().path("git_commit").asText(null),
              o.commandLine(),
              root.getDevice().toString());
          return result;
        }
      }
    }
  }

  /**
   * The teacher's tokenizer: tokenizer.json, else (a published HoVLE folder) its InternLM2
   * tokenizer.model.
   */
  static Path teacherTokenizer(Path teacherDir) {
    Path json = teacherDir.resolve("tokenizer.json");
    return !Files.exists(json) && InternLm2Tokenizer.isPresent(teacherDir)
        ? teacherDir.resolve("tokenizer.model")
        : json;
  }
}
