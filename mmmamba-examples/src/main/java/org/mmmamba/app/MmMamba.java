package org.mmmamba.app;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.mmmamba.app.bench.Bench;
import org.mmmamba.app.bench.BenchConfig;
import org.mmmamba.app.bench.BenchReport;
import org.mmmamba.app.report.Reports;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Devices;
import org.mmmamba.core.Offline;
import org.mmmamba.core.api.Models;
import org.mmmamba.core.api.Students;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.generate.GenerationConfig;
import org.mmmamba.core.generate.Generator;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.seed.InitStrategy;
import org.mmmamba.distill.Distillation;
import org.mmmamba.distill.data.ShapesConfig;
import org.mmmamba.distill.data.ShapesSample;
import org.mmmamba.distill.data.ShapesTask;
import org.mmmamba.distill.data.TaskData;
import org.mmmamba.distill.eval.EvalReport;
import org.mmmamba.distill.eval.Evaluation;
import org.mmmamba.distill.eval.ImageQa;
import org.mmmamba.distill.recipe.Recipes;
import org.mmmamba.distill.recipe.RunConfig;
import org.mmmamba.distill.recipe.YamlConfigs;
import org.mmmamba.distill.teacher.TeacherTraining;

/**
 * The library in one class, for notebooks and for code that depends on {@code mmmamba-distill}:
 * load a teacher, convert it to linear or hybrid Mamba-2 students, run the three-stage recipe from
 * YAML (with {@code --set}-style overrides), evaluate, generate, benchmark. Each method is a thin
 * shell over the public API the CLI runs ({@link Models}, {@link Students}, {@link Distillation},
 * {@link Evaluation}, {@link Generator}, {@link Bench}), so results are the same as from {@code
 * scripts/mmmamba}.
 *
 * <p>Memory: models are loaded into sub-managers of one process-wide root {@link NDManager} ({@link
 * #manager()}, on {@link #device()}); {@code close()} a model to free its weights. A student made
 * by {@link #convert(VisionLanguageModel, HybridLayout, InitStrategy, long)} borrows its teacher's
 * vision weights: keep the teacher open while the student is used.
 *
 * <p>Shapes: B batch, L prompt length, V vocabulary.
 */
public final class MmMamba {
  static {
    Offline.init();
  }

  /** Where the committed tiny teacher lives, relative to the project home. */
  public static final String BUNDLED_TEACHER = "models/shapes-teacher";

  /**
   * System property naming the project home (checked before the {@code MMMAMBA_HOME} environment
   * variable).
   */
  public static final String HOME_PROPERTY = "mmmamba.home";

  /**
   * System property naming the device of {@link #manager()} (default "auto"; also "cpu", "gpu",
   * "gpuN").
   */
  public static final String DEVICE_PROPERTY = "mmmamba.device";

  private static NDManager root;

  private MmMamba() {}

  // ------------------------------------------------------------------------------------------
  // project files

  /**
   * The project home: system property {@value #HOME_PROPERTY}, else the environment variable {@code
   * MMMAMBA_HOME} (what {@code scripts/mmmamba} sets), else the nearest of the working directory
   * and its parents that holds {@code configs/quickstart.yaml} (a checkout; notebooks run in {@code
   * mmmamba-examples/notebooks/}), else the working directory.
   *
   * @return an absolute path
   */
  public static Path home() {
    String p = System.getProperty(HOME_PROPERTY);
    if (p == null || p.isBlank()) {
      p = System.getenv("MMMAMBA_HOME");
    }
    if (p != null && !p.isBlank()) {
      return Path.of(p).toAbsolutePath().normalize();
    }
    Path cwd = Path.of("").toAbsolutePath().normalize();
    for (Path d = cwd; d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("configs/quickstart.yaml"))) {
        return d;
      }
    }
    return cwd;
  }

  /**
   * The committed tiny teacher, {@code home()/models/shapes-teacher}: a HoVLE-style model (2
   * embedding layers + 6 LLM layers, width 64) trained on the built-in shapes task by {@code
   * configs/teacher/shapes.yaml}.
   *
   * @return its directory
   * @throws BadInputException if it is not there
   */
  public static Path bundledTeacher() {
    Path dir = home().resolve(BUNDLED_TEACHER);
    if (!Files.isRegularFile(dir.resolve("config.json"))) {
      throw new BadInputException(
          dir
              + ": the bundled teacher is missing (set -D"
              + HOME_PROPERTY
              + " or MMMAMBA_HOME to the checkout, or train it: scripts/mmmamba train-teacher --config "
              + "configs/teacher/shapes.yaml)");
    }
    return dir;
  }

  // ------------------------------------------------------------------------------------------
  // loading

  /**
   * The process-wide root manager every model of this facade is loaded into, created on first use
   * on the device named by the system property {@value #DEVICE_PROPERTY} ("auto" when unset: the
   * first GPU when DJL's PyTorch engine has CUDA, else the CPU; see docs/cuda.md).
   *
   * @return the shared root manager (never close it)
   */
  public static synchronized NDManager manager() {
    if (root == null) {
      root = Devices.newManager(System.getProperty(DEVICE_PROPERTY, "auto"));
    }
    return root;
  }

  /**
   * The device models of this facade live on, e.g. "cpu()".
   *
   * @return the root manager's device, as text
   */
  public static String device() {
    return manager().getDevice().toString();
  }

  /**
   * Loads a vision-language teacher (HoVLE layout: {@code config.json} with {@code "model_type":
   * "hovle"} + safetensors) in float32.
   *
   * @param dir the model directory, e.g. {@link #bundledTeacher()}
   * @return the model; close it to free its weights
   * @throws BadInputException naming the file, key or tensor when the checkpoint is bad
   */
  public static VisionLanguageModel loadTeacher(Path dir) {
    return Models.loadVlm(dir, manager(), DataType.FLOAT32);
  }

  /**
   * Loads a vision-language student written by {@link #distill} ({@code students/NAME/model}) or by
   * {@link #convert(Path, HybridLayout, InitStrategy, long, Path)}; same format as a teacher.
   *
   * @param dir the model directory
   * @return the model; close it to free its weights
   */
  public static VisionLanguageModel loadStudent(Path dir) {
    return Models.loadVlm(dir, manager(), DataType.FLOAT32);
  }

  /**
   * Loads a text-only decoder checkpoint in any supported layout (HF Llama, Qwen2, InternLM2,
   * Mamba2, mmMamba students) in float32.
   *
   * @param dir the HF-format directory (config.json + safetensors)
   * @return the model; close it to free its weights
   */
  public static DecoderModel loadDecoder(Path dir) {
    return Models.load(dir, manager(), DataType.FLOAT32);
  }

  // ------------------------------------------------------------------------------------------
  // converting

  /**
   * Seeds a student in memory (before any training, docs/method.md §2.4): every layer the layout
   * does not keep as attention becomes a Mamba-2 mixer with W_C = W_Q, W_B = W_K, W_x = W_V (unless
   * {@code init} is scratch), W_O = the teacher's, and the new parameters as {@code init} sets
   * them; everything else is copied. Default conv kernel (2) and chunk size (128).
   *
   * @param teacher an all-attention vision-language model (stays unchanged)
   * @param layout which layers stay attention ({@link HybridLayout#linear()} for none)
   * @param init the initialisation strategy
   * @param seed seed of the new parameters (same seed, bit-identical student)
   * @return the student; it borrows the teacher's vision weights (see the class comment)
   */
  public static VisionLanguageModel convert(
      VisionLanguageModel teacher, HybridLayout layout, InitStrategy init, long seed) {
    return Models.convert(teacher, layout, init, seed);
  }

  /**
   * Same with the layout and strategy as text ("linear", "head-interleaved:2", "explicit:0,4";
   * "scratch", "inherit", "inherit_mimic") and seed 0.
   *
   * @param teacher an all-attention vision-language model
   * @param layout the layout's text form (see {@link HybridLayout#parse})
   * @param init the strategy's text form (see {@link InitStrategy#parse})
   * @return the student; it borrows the teacher's vision weights
   */
  public static VisionLanguageModel convert(
      VisionLanguageModel teacher, String layout, String init) {
    return convert(teacher, HybridLayout.parse(layout), InitStrategy.parse(init), 0);
  }

  /**
   * Seeds a student from a teacher checkpoint and writes it to {@code out} (what {@code mmmamba
   * convert} does for text-only teachers, extended to vision-language ones). A HoVLE teacher gives
   * a HoVLE-layout student with the teacher's {@code tokenizer.json} (and its {@code training.json}
   * as {@code teacher-training.json}, which records the chat template); a Llama/InternLM2 teacher
   * gives an mmMamba checkpoint via {@link Students#convert}. Both get a {@code seeding.json}.
   *
   * @param teacherDir the teacher checkpoint directory
   * @param layout which layers stay attention
   * @param init the initialisation strategy
   * @param seed seed of the new parameters
   * @param out the output directory; must be missing or empty
   * @return {@code out}
   * @throws BadInputException for a bad teacher, layout or output directory
   */
  public static Path convert(
      Path teacherDir, HybridLayout layout, InitStrategy init, long seed, Path out) {
    String command =
        "mmmamba convert --teacher "
            + teacherDir
            + " --layout "
            + layout
            + " --init "
            + init.name().toLowerCase(java.util.Locale.ROOT)
            + " --seed "
            + seed
            + " --out "
            + out;
    Path result = Models.convert(teacherDir, layout, init, seed, out);
    org.mmmamba.distill.card.Cards.writeConverted(
        out,
        teacherDir,
        layout.toString(),
        init.spelling() + ", seed " + seed,
        org.mmmamba.distill.metrics.RunManifest.buildCommit().orElse(null),
        command);
    return result;
  }

  // ------------------------------------------------------------------------------------------
  // training

  /**
   * Reads a distillation recipe: the YAML file over the bundled defaults, then overrides, then
   * validation (docs/config.md lists every key).
   *
   * @param yaml the run YAML, e.g. {@code home().resolve("configs/quickstart.yaml")}
   * @param overrides {@code key.path=value} strings, as {@code --set} takes them, e.g.
   *     "stages.stage1.steps=10"
   * @return the validated config with the file positions of its keys
   * @throws BadInputException naming file, line and key for an unknown key, a wrong type or an
   *     impossible value
   */
  public static YamlConfigs.Located<RunConfig> recipe(Path yaml, String... overrides) {
    return Recipes.load(yaml, List.of(overrides));
  }

  /**
   * Same from YAML text (a notebook cell); errors name the source "&lt;inline recipe&gt;".
   *
   * @param yamlText the run YAML (may be empty: all defaults)
   * @param overrides {@code key.path=value} strings
   * @return the validated config
   */
  public static YamlConfigs.Located<RunConfig> recipeText(String yamlText, String... overrides) {
    return Recipes.parse(yamlText, "<inline recipe>", List.of(overrides));
  }

  /**
   * Runs the three-stage recipe (what {@code mmmamba distill --config yaml --set ...} runs) and,
   * when it evaluated, writes {@code report.json}, {@code report.md} and {@code loss.png} in the
   * run directory. A fresh run: {@code run.out_dir} must be missing or empty ({@link
   * Distillation#run} with {@link Distillation.Options} resumes or overwrites).
   *
   * @param yaml the run YAML
   * @param overrides {@code key.path=value} strings
   * @return the run's summaries, student directories and evaluation reports
   * @throws IOException if the run directory cannot be written
   * @throws BadInputException for a bad config, or a {@code run.out_dir} that already holds a run
   */
  public static Distillation.Result distill(Path yaml, String... overrides) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("api", "distill", yaml.toString()));
    for (String o : overrides) {
      cmd.addAll(List.of("--set", o));
    }
    return distill(recipe(yaml, overrides), cmd);
  }

  /**
   * Runs a recipe built in code or read by {@link #recipe} / {@link #recipeText}; writes the report
   * when it evaluated.
   *
   * @param recipe the validated config
   * @return the run's summaries, student directories and evaluation reports
   * @throws IOException if the run directory cannot be written
   */
  public static Distillation.Result distill(YamlConfigs.Located<RunConfig> recipe)
      throws IOException {
    return distill(recipe, List.of("api", "distill", recipe.source()));
  }

  private static Distillation.Result distill(
      YamlConfigs.Located<RunConfig> recipe, List<String> cmd) throws IOException {
    gradModeOffOnThisThread();
    Distillation.Result r = Distillation.run(recipe, new Distillation.Options(false, null, cmd));
    if (!r.eval().isEmpty()) {
      Reports.write(r);
    }
    return r;
  }

  /**
   * Trains a small teacher from scratch (what {@code mmmamba train-teacher --config yaml --set ...}
   * runs); a fresh run, so {@code run.out_dir} must be missing or empty.
   *
   * @param yaml the teacher YAML, e.g. {@code home().resolve("configs/teacher/shapes.yaml")}
   * @param overrides {@code key.path=value} strings
   * @return the model directory, training summary and evaluation
   * @throws IOException if the run directory cannot be written
   */
  public static TeacherTraining.Result trainTeacher(Path yaml, String... overrides)
      throws IOException {
    gradModeOffOnThisThread();
    return TeacherTraining.run(TeacherTraining.load(yaml, List.of(overrides)), false);
  }

  // ------------------------------------------------------------------------------------------
  // using models

  /**
   * Evaluates a saved model on the held-out split of the built-in shapes task with the {@code
   * mmmamba eval} defaults (seed 1, 500 samples, at most 8 answer tokens, float32, device "auto"),
   * against a teacher when given; writes {@code eval.json} and {@code eval.md} to {@code outDir}.
   *
   * @param modelDir the model (with tokenizer.json)
   * @param teacherDir the teacher for agreement and KL, or null
   * @param limit at most this many samples (0 = all 500)
   * @param outDir where the reports go
   * @return exact-match accuracy, agreement, KL, perplexity and per-type accuracy
   * @throws IOException if the reports cannot be written
   */
  public static EvalReport evaluate(Path modelDir, Path teacherDir, int limit, Path outDir)
      throws IOException {
    return evaluate(
        modelDir,
        teacherDir,
        new Evaluation.Options(TaskData.BUILTIN_SHAPES, 1, 500, limit, 8, "auto", "float32"),
        outDir);
  }

  /**
   * Evaluates a saved model with explicit options (a LLaVA file or "builtin:shapes", seed, sizes,
   * device, dtype).
   *
   * @param modelDir the model (with tokenizer.json)
   * @param teacherDir the teacher for agreement and KL, or null
   * @param options data, sizes, device and dtype
   * @param outDir where eval.json and eval.md go
   * @return the report
   * @throws IOException if the reports cannot be written
   */
  public static EvalReport evaluate(
      Path modelDir, Path teacherDir, Evaluation.Options options, Path outDir) throws IOException {
    return Evaluation.run(modelDir, teacherDir, options, outDir);
  }

  /**
   * Puts image questions to the models of one directory's tokenizer and geometry (see {@link
   * ImageQa}).
   *
   * @param modelDir a vision-language model directory (its tokenizer.json and chat template are
   *     used)
   * @return a new {@link ImageQa}; close it when done
   */
  public static ImageQa imageQa(Path modelDir) {
    return ImageQa.forModel(modelDir);
  }

  /**
   * Samples of the built-in shapes task (image, question, answer), generated deterministically from
   * the seed.
   *
   * @param seed the seed (the held-out split of a run with synthetic seed s uses s + {@link
   *     TaskData#TEST_SEED_OFFSET})
   * @param n how many
   * @return the samples, ids {@code sample-000000...}
   */
  public static List<ShapesSample> shapesSamples(long seed, int n) {
    try (Stream<ShapesSample> s = ShapesTask.generate(ShapesConfig.defaults(), seed, n, "sample")) {
      return s.toList();
    }
  }

  /**
   * Greedy continuation of equal-length token-id prompts with the model's caches (what {@code
   * mmmamba generate --greedy} runs), stopping a row at one of the config's eos ids.
   *
   * @param model a decoder (teacher or student)
   * @param prompts (B, L) token ids, rows of equal length
   * @param maxNewTokens tokens to generate at most per row
   * @return per row the prompt followed by the new tokens (up to and including a stop token)
   */
  public static long[][] generate(DecoderModel model, long[][] prompts, int maxNewTokens) {
    Set<Integer> stops = new HashSet<>(model.config().eosTokenIds());
    return Generator.generate(
        model, prompts, GenerationConfig.greedy(maxNewTokens).withStopTokens(stops));
  }

  /**
   * PyTorch's grad mode is thread-local and starts on in every thread but the one that loaded the
   * engine (DJL turns it off only there); with it on, the optimiser's in-place update of a leaf
   * that requires grad fails. Training through this facade from another thread (JShell's local
   * engine runs each snippet on a new thread; an application's worker pool) turns it off first, as
   * the engine did on its own thread.
   */
  static void gradModeOffOnThisThread() {
    Engine.getEngine("PyTorch"); // loads the native library if nothing has yet
    JniUtils.setGradMode(false);
  }

  // ------------------------------------------------------------------------------------------
  // benchmarking

  /**
   * Runs the efficiency benchmark (what {@code mmmamba bench --config yaml --out outDir} runs):
   * teacher, linear and hybrid models of one size with random weights; next-token decode latency
   * and cache size against synthetic contexts, prefill latency, the paper's Table 2 recipe, each
   * next to a hardware floor measured in the same run. Writes bench.json, bench.csv, bench.md and
   * four PNG plots to {@code outDir}.
   *
   * @param yaml a bench config; every key is required ({@code configs/bench/cpu.yaml} documents
   *     them)
   * @param outDir where the outputs go
   * @return every measured point with the machine description and floors
   */
  public static BenchReport bench(Path yaml, Path outDir) {
    return Bench.run(BenchConfig.load(yaml), outDir);
  }

  /**
   * Same from YAML text (a notebook cell); errors name the source "&lt;inline bench config&gt;".
   *
   * @param yamlText a complete bench config
   * @param outDir where the outputs go
   * @return every measured point with the machine description and floors
   */
  public static BenchReport benchText(String yamlText, Path outDir) {
    return Bench.run(BenchConfig.parse(yamlText, "<inline bench config>"), outDir);
  }
}
