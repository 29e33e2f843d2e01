package org.mmmamba.distill.eval;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Devices;
import org.mmmamba.core.io.AtomicText;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.model.VlmIo;
import org.mmmamba.distill.data.BrokenSamplePolicy;
import org.mmmamba.distill.data.EncodedSample;
import org.mmmamba.distill.data.SampleSource;
import org.mmmamba.distill.data.TaskData;

/**
 * Evaluates a saved vision-language model (teacher or student) on a LLaVA-format file or the
 * built-in shapes split, optionally against a teacher, and writes {@code eval.json} and {@code
 * eval.md}. The {@code eval} command and notebooks call {@link #run}.
 */
public final class Evaluation {
  private Evaluation() {}

  /**
   * Options.
   *
   * @param data a LLaVA JSON/JSONL file or "builtin:shapes" (held-out split)
   * @param seed builtin:shapes seed (the test split uses seed + offset)
   * @param limit evaluate at most this many samples (0 = all)
   */
  public record Options(
      String data, long seed, int n, int limit, int maxNewTokens, String device, String dtype) {
    /** Checks the numbers (messages name the CLI options). */
    public Options {
      if (data == null || data.isBlank()) {
        throw new BadInputException("--data must name a dataset file or builtin:shapes");
      }
      if (n <= 0) {
        throw new BadInputException("--n must be > 0, got " + n);
      }
      if (limit < 0) {
        throw new BadInputException("--limit must be >= 0 (0 = all), got " + limit);
      }
      if (maxNewTokens <= 0) {
        throw new BadInputException("--max-new-tokens must be > 0, got " + maxNewTokens);
      }
    }
  }

  /** Runs the evaluation; returns the model's report (and writes outDir/eval.json, eval.md). */
  public static EvalReport run(Path modelDir, Path teacherDir, Options o, Path outDir)
      throws IOException {
    DataType dt = Devices.dtype(o.dtype());
    if (!Files.isDirectory(modelDir)) {
      throw new BadInputException(modelDir + ": model directory not found");
    }
    if (teacherDir != null && !Files.isDirectory(teacherDir)) {
      throw new BadInputException(teacherDir + ": teacher directory not found");
    }
    Path tok = modelDir.resolve("tokenizer.json");
    if (!Files.exists(tok)) {
      throw new BadInputException(modelDir + ": no tokenizer.json next to the model");
    }
    try (NDManager root = Devices.newManager(o.device());
        VisionLanguageModel model = VlmIo.load(modelDir, root, dt);
        VisionLanguageModel teacher = teacherDir == null ? null : VlmIo.load(teacherDir, root, dt);
        TaskData td = TaskData.forModel(tok, template(modelDir), model.config(), 1);
        SampleSource src =
            td.source(o.data(), true, o.seed(), o.n(), null, 8192, BrokenSamplePolicy.SKIP)) {
      if (teacher != null
          && teacher.config().stack().vocabSize() != model.config().stack().vocabSize()) {
        throw new BadInputException(
            teacherDir
                + ": vocab_size "
                + teacher.config().stack().vocabSize()
                + " differs from the model's "
                + model.config().stack().vocabSize()
                + " (agreement and KL need one vocabulary)");
      }
      List<EncodedSample> samples = TaskData.all(src, o.limit());
      if (samples.isEmpty()) {
        throw new BadInputException(o.data() + ": no usable samples (" + src.stats() + ")");
      }
      Evaluator ev = new Evaluator(td.tokenizer(), td.stopId(), td.padId(), o.maxNewTokens(), 32);
      Evaluator.Answers ta = teacher == null ? null : ev.answer(teacher, samples);
      EvalReport rep = ev.evaluate(modelDir.getFileName().toString(), model, samples, teacher, ta);
      Files.createDirectories(outDir);
      ObjectMapper om = new ObjectMapper();
      ObjectNode json = om.valueToTree(rep);
      json.put("accuracy", rep.accuracy());
      json.put("n", rep.n());
      json.put("data", o.data());
      json.put("dataset_stats", src.stats().toString());
      AtomicText.writeString(
          outDir.resolve("eval.json"),
          om.writerWithDefaultPrettyPrinter().writeValueAsString(json));
      AtomicText.writeString(outDir.resolve("eval.md"), markdown(rep, o.data()));
      return rep;
    }
  }

  static String markdown(EvalReport r, String data) {
    StringBuilder sb =
        new StringBuilder(
            "# Evaluation of "
                + r.name()
                + "\n\nData: "
                + data
                + ", n = "
                + r.n()
                + "\n\n| metric | value |\n|---|---:|\n");
    sb.append(String.format(Locale.ROOT, "| accuracy | %.4f |%n", r.accuracy()));
    if (r.agreement() != null) {
      sb.append(String.format(Locale.ROOT, "| agreement with teacher | %.4f |%n", r.agreement()));
      sb.append(
          String.format(Locale.ROOT, "| KL(teacher || model) per answer token | %.5f |%n", r.kl()));
    }
    sb.append(String.format(Locale.ROOT, "| answer perplexity | %.4f |%n", r.perplexity()));
    sb.append(
        String.format(Locale.ROOT, "| decode tokens/s | %.1f |%n", r.decodeTokensPerSecond()));
    sb.append("\n| question type | n | accuracy |\n|---|---:|---:|\n");
    for (Map.Entry<String, EvalReport.TypeScore> e : r.byType().entrySet()) {
      sb.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %.4f |%n",
              e.getKey(),
              e.getValue().n(),
              e.getValue().accuracy()));
    }
    return sb.toString();
  }

  /**
   * The chat template recorded next to a model (training.json or teacher-training.json), else
   * "auto" (the {@code chat_template} of its tokenizer_config.json when it has one, else "plain");
   * a published HoVLE or released mmMamba folder (internvl_chat / mmMamba_chat config) without a
   * record uses "internlm2", the official chat path's template.
   */
  public static String template(Path modelDir) {
    for (String f : new String[] {"training.json", "teacher-training.json"}) {
      Path p = modelDir.resolve(f);
      if (Files.exists(p)) {
        try {
          JsonNode n = new ObjectMapper().readTree(p.toFile());
          if (n.has("template")) {
            return n.get("template").asText();
          }
        } catch (IOException e) {
          throw new BadInputException(p + ": not valid JSON");
        }
      }
    }
    return org.mmmamba.core.config.InternVlChatConfigs.isOfficial(modelDir) ? "internlm2" : "auto";
  }
}
