package org.mmmamba.distill.teacher;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mmmamba.core.Devices;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.LayerKind;
import org.mmmamba.core.config.ModelFamily;
import org.mmmamba.core.config.ParamNames;
import org.mmmamba.core.config.RopeScaling;
import org.mmmamba.core.config.VlmConfig;
import org.mmmamba.core.io.AtomicText;
import org.mmmamba.core.model.RandomWeights;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.model.VlmIo;
import org.mmmamba.distill.RunDirectory;
import org.mmmamba.distill.data.Batch;
import org.mmmamba.distill.data.BatchStream;
import org.mmmamba.distill.data.BrokenSamplePolicy;
import org.mmmamba.distill.data.Collator;
import org.mmmamba.distill.data.EncodedSample;
import org.mmmamba.distill.data.ModelInputs;
import org.mmmamba.distill.data.SampleSource;
import org.mmmamba.distill.data.ShapesConfig;
import org.mmmamba.distill.data.ShapesTask;
import org.mmmamba.distill.data.TaskData;
import org.mmmamba.distill.data.TextOnlyBaseline;
import org.mmmamba.distill.eval.EvalReport;
import org.mmmamba.distill.eval.Evaluator;
import org.mmmamba.distill.optim.AdamWConfig;
import org.mmmamba.distill.optim.WeightDecay;
import org.mmmamba.distill.recipe.NonFinitePolicy;
import org.mmmamba.distill.recipe.RunConfig;
import org.mmmamba.distill.recipe.StageTraining;
import org.mmmamba.distill.recipe.YamlConfigs;
import org.mmmamba.distill.stage.Schedules;
import org.mmmamba.distill.train.TrainingRun;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a small HoVLE-style vision-language teacher from scratch with answer-only cross-entropy,
 * then evaluates it (greedy exact match) against a text-only baseline. Output: {@code
 * out_dir/model/} (config.json, safetensors, tokenizer.json, training.json), {@code out_dir/train/}
 * (checkpoints, metrics.jsonl) and {@code out_dir/eval.json}.
 */
public final class TeacherTraining {
  private static final Logger LOG = LoggerFactory.getLogger(TeacherTraining.class);

  /** Classpath resource holding every default. */
  public static final String DEFAULTS = "/org/mmmamba/distill/teacher/teacher-defaults.yaml";

  private TeacherTraining() {}

  /** Loads and validates a teacher config. */
  public static YamlConfigs.Located<TeacherConfig> load(Path file, List<String> overrides) {
    YamlConfigs.Located<TeacherConfig> at =
        YamlConfigs.load(file, TeacherConfig.class, DEFAULTS, overrides);
    at.value().validate(at);
    return at;
  }

  /** What training produced. */
  public record Result(
      Path modelDir, TrainingRun.Summary summary, EvalReport eval, Double textOnlyBaseline) {}

  /** Runs the whole recipe; a fresh run needs a missing or empty output directory. */
  public static Result run(YamlConfigs.Located<TeacherConfig> at, boolean resume)
      throws IOException {
    return run(at, resume, false);
  }

  /**
   * Runs the whole recipe.
   *
   * @param force a fresh run may start in a non-empty output directory (see {@link
   *     RunDirectory#checkFresh})
   */
  public static Result run(YamlConfigs.Located<TeacherConfig> at, boolean resume, boolean force)
      throws IOException {
    TeacherConfig c = at.value();
    Path out = Path.of(c.run().outDir());
    Path given = c.data().tokenizer() == null ? null : Path.of(c.data().tokenizer());
    if (given != null && !Files.isRegularFile(given)) {
      throw new org.mmmamba.core.BadInputException(
          at.where("data.tokenizer") + ": " + given + " not found");
    }
    if (given == null && !TaskData.BUILTIN_SHAPES.equals(c.data().train())) {
      throw new org.mmmamba.core.BadInputException(
          at.where("data.tokenizer") + " must be set for a dataset other than builtin:shapes");
    }
    RunDirectory.checkFresh(out, resume, force, at.where("run.out_dir"));
    Files.createDirectories(out);
    Path tokFile = out.resolve("tokenizer.json");
    if (given != null) {
      Files.copy(given, tokFile, StandardCopyOption.REPLACE_EXISTING);
    } else {
      TaskData.writeShapesTokenizer(tokFile);
    }
    DataType dt = Devices.dtype(c.run().dtype());
    try (NDManager root = Devices.newManager(c.run().device());
        TaskData td = TaskData.forNewModel(tokFile, c.data().template(), provisional(c), 1)) {
      VlmConfig vc = vlmConfig(c, td);
      try (VisionLanguageModel vlm =
          RandomWeights.vlm(vc, root, dt, c.run().seed(), c.model().initStd())) {
        RunConfig.Synthetic syn = c.data().synthetic();
        BrokenSamplePolicy policy =
            BrokenSamplePolicy.valueOf(c.data().brokenSamples().toUpperCase(java.util.Locale.ROOT));
        SampleSource train =
            td.source(
                c.data().train(),
                false,
                syn.seed(),
                syn.train(),
                c.data().imageRoot(),
                c.data().maxTokens(),
                policy);
        Map<String, NDArray> trainable = trainable(vlm);
        BatchStream batches =
            new BatchStream(
                train, c.data().batchSize(), c.data().shuffleSeed(), new Collator(td.padId()));
        RunConfig.Stage t = c.train();
        TrainingRun.Settings s =
            new TrainingRun.Settings(
                "teacher",
                t.steps(),
                Schedules.of(t),
                AdamWConfig.torchDefaults(t.weightDecay()),
                WeightDecay.official(),
                t.clip(),
                t.gradAccum(),
                c.checkpoint().every(),
                c.checkpoint().keep(),
                StageTraining.of(t).onNonFinite() == NonFinitePolicy.STOP,
                null);
        boolean answerOnly = Boolean.TRUE.equals(t.answerOnly());
        TrainingRun.Summary sum =
            TrainingRun.run(
                out.resolve("train"),
                s,
                trainable,
                batches,
                b -> crossEntropy(vlm, root, b, dt, answerOnly),
                resume,
                org.mmmamba.distill.train.RunHooks.tensorBoard(
                    out.resolve("tb").resolve("teacher")));
        for (NDArray p : trainable.values()) {
          p.setRequiresGradient(false);
        }
        Path modelDir = out.resolve("model");
        VlmIo.save(vlm, modelDir);
        Files.copy(
            tokFile, modelDir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
        EvalReport rep = null;
        Double baseline = null;
        if (Boolean.TRUE.equals(c.eval().enabled()) && c.data().test() != null) {
          SampleSource test =
              td.source(
                  c.data().test(),
                  true,
                  syn.seed(),
                  syn.test(),
                  c.data().imageRoot(),
                  c.data().maxTokens(),
                  policy);
          List<EncodedSample> samples = TaskData.all(test, c.eval().limit());
          Evaluator ev =
              new Evaluator(td.tokenizer(), td.stopId(), td.padId(), c.eval().maxNewTokens(), 32);
          rep = ev.evaluate("teacher", vlm, samples, null, null);
          if (TaskData.BUILTIN_SHAPES.equals(c.data().train())) {
            baseline = shapesBaseline(syn);
          } else if (!TaskData.BUILTIN_SHAPES.equals(c.data().test())) {
            baseline =
                TextOnlyBaseline.heldOutAccuracy(
                    Path.of(c.data().train()),
                    Path.of(c.data().test()),
                    c.data().imageRoot() == null ? null : Path.of(c.data().imageRoot()));
          }
          LOG.info(
              "teacher accuracy {} on {} held-out samples (text-only baseline {})",
              rep.accuracy(),
              rep.n(),
              baseline);
        }
        writeRecord(modelDir.resolve("training.json"), at, sum, rep, baseline, c.data().template());
        writeCard(modelDir, at, sum, rep, baseline, root.getDevice().toString());
        if (rep != null) {
          AtomicText.writeString(out.resolve("eval.json"), json().writeValueAsString(rep));
        }
        return new Result(modelDir, sum, rep, baseline);
      }
    }
  }

  /** The model card (README.md) of the trained teacher. */
  private static void writeCard(
      Path modelDir,
      YamlConfigs.Located<TeacherConfig> at,
      TrainingRun.Summary sum,
      EvalReport rep,
      Double baseline,
      String device) {
    TeacherConfig c = at.value();
    TeacherConfig.Model m = c.model();
    Map<String, Double> held = new LinkedHashMap<>();
    String heldData = null;
    if (rep != null) {
      held.put("exact_match", rep.accuracy());
      if (baseline != null) {
        held.put("text_only_baseline", baseline);
      }
      heldData = c.data().test() + " held-out, " + rep.n() + " samples";
    }
    String layout =
        m.embeddingLayers()
            + " holistic-embedding + "
            + m.llmLayers()
            + " LLM attention layers, width "
            + m.hiddenSize()
            + ", "
            + m.numHeads()
            + " heads / "
            + m.numKvHeads()
            + " kv heads, image "
            + m.imageSize()
            + " patch "
            + m.patchSize();
    RunConfig.Stage t = c.train();
    String data =
        c.data().train()
            + (c.data().synthetic() != null && c.data().train().startsWith("builtin:")
                ? " (synthetic, " + c.data().synthetic().train() + " training samples)"
                : "");
    org.mmmamba.distill.card.Cards.writeTeacher(
        modelDir,
        c.run().name(),
        layout,
        sum,
        "lr "
            + java.math.BigDecimal.valueOf(t.lr()).toPlainString()
            + ", "
            + t.schedule().type()
            + " schedule, template "
            + c.data().template(),
        data,
        held,
        heldData,
        c.run().dtype(),
        device,
        org.mmmamba.distill.metrics.RunManifest.buildCommit().orElse(null),
        "mmmamba train-teacher --config " + at.source());
  }

  /**
   * Everything except tensors no path reads (the unused class token and the LLM's own token table).
   */
  static Map<String, NDArray> trainable(VisionLanguageModel vlm) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    vlm.parameters()
        .forEach(
            (name, a) -> {
              if (!name.equals(ParamNames.LLM_TOK_EMBED) && !name.equals("vision.class")) {
                a.setRequiresGradient(true);
                out.put(name, a);
              }
            });
    return out;
  }

  /** Mean next-token cross-entropy over answer tokens (or all non-pad tokens). */
  static NDArray crossEntropy(
      VisionLanguageModel vlm, NDManager m, Batch b, DataType dt, boolean answerOnly) {
    NDArray ids = ModelInputs.ids(m, b);
    NDArray logp = vlm.forward(ids, ModelInputs.pixels(m, b, dt)).logSoftmax(-1);
    NDArray next = ModelInputs.nextIds(ids).expandDims(-1);
    NDArray nll = logp.gather(next, -1).squeeze(-1).neg();
    NDArray mask =
        answerOnly
            ? ModelInputs.answerPredictionMask(m, b, dt)
            : ModelInputs.nextTokenMask(m, b, dt);
    return nll.mul(mask).sum().div(mask.sum().maximum(1));
  }

  /**
   * Held-out accuracy of answering each question with the most common training answer for its text.
   */
  static double shapesBaseline(RunConfig.Synthetic syn) {
    List<String> tq = new ArrayList<>();
    List<String> ta = new ArrayList<>();
    ShapesTask.generate(ShapesConfig.defaults(), syn.seed(), syn.train(), "train")
        .forEach(
            s -> {
              tq.add(s.question());
              ta.add(s.answer());
            });
    List<String> eq = new ArrayList<>();
    List<String> ea = new ArrayList<>();
    ShapesTask.generate(
            ShapesConfig.defaults(), syn.seed() + TaskData.TEST_SEED_OFFSET, syn.test(), "test")
        .forEach(
            s -> {
              eq.add(s.question());
              ea.add(s.answer());
            });
    return TextOnlyBaseline.heldOutAccuracy(tq, ta, eq, ea);
  }

  /** A VLM config with the tokenizer's special ids. */
  static VlmConfig vlmConfig(TeacherConfig c, TaskData td) {
    TeacherConfig.Model m = c.model();
    int layers = m.embeddingLayers() + m.llmLayers();
    long[] img = td.imageTokenIds();
    Integer bos =
        td.tokenizer().bosId().isPresent() ? (int) td.tokenizer().bosId().getAsLong() : null;
    DecoderConfig stack =
        new DecoderConfig(
            ModelFamily.INTERNLM2,
            td.tokenizer().vocabSize(),
            m.hiddenSize(),
            layers,
            m.numHeads(),
            m.numKvHeads(),
            m.headDim(),
            m.intermediateSize(),
            1e-5,
            m.ropeTheta(),
            RopeScaling.none(),
            m.maxPositionEmbeddings(),
            false,
            false,
            false,
            null,
            Collections.nCopies(layers, LayerKind.ATTENTION),
            true,
            bos,
            List.of((int) td.stopId()),
            (int) td.padId());
    VlmConfig vc =
        new VlmConfig(
            m.imageSize(),
            m.patchSize(),
            3,
            0.5,
            m.embeddingLayers(),
            stack,
            (int) img[0],
            (int) img[1],
            (int) img[2]);
    vc.validate("teacher config");
    return vc;
  }

  /** Image geometry only (the tokenizer is needed for the rest). */
  static VlmConfig provisional(TeacherConfig c) {
    TeacherConfig.Model m = c.model();
    DecoderConfig stack =
        DecoderConfig.llama(8, m.hiddenSize(), 2, 1, 1, 2, 2).withFamily(ModelFamily.INTERNLM2);
    return new VlmConfig(m.imageSize(), m.patchSize(), 3, 0.5, 1, stack, 0, 1, 2);
  }

  private static void writeRecord(
      Path file,
      YamlConfigs.Located<TeacherConfig> at,
      TrainingRun.Summary sum,
      EvalReport rep,
      Double baseline,
      String template)
      throws IOException {
    ObjectNode o = json().createObjectNode();
    o.put("format", "mmmamba-teacher-record");
    o.put("config", at.source());
    o.put("template", template);
    o.put("steps", sum.steps());
    o.put("final_loss", sum.finalLoss());
    o.put("train_seconds", sum.seconds());
    if (rep != null) {
      o.put("test_accuracy", rep.accuracy());
      o.put("test_n", rep.n());
    }
    if (baseline != null) {
      o.put("text_only_baseline", baseline);
    }
    AtomicText.writeString(file, json().writeValueAsString(o));
  }

  static ObjectMapper json() {
    return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  }
}
