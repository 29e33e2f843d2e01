package org.mmmamba.app.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mmmamba.core.io.AtomicText;
import org.mmmamba.distill.Distillation;
import org.mmmamba.distill.eval.EvalReport;
import org.mmmamba.distill.train.TrainingRun;

/**
 * The run report: {@code report.json} (machine-readable), {@code report.md} (the side-by-side
 * table) and {@code loss.png} (every stage's loss curve) in the run directory.
 */
public final class Reports {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Reports() {}

  /** Writes report.json, report.md and loss.png; returns report.json's content. */
  public static ObjectNode write(Distillation.Result r) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    String allocator =
        System.getenv("MMMAMBA_ALLOCATOR"); // set by scripts/mmmamba (allocator and its settings)
    root.put(
        "allocator", allocator == null ? "unknown (not started by scripts/mmmamba)" : allocator);
    Map<String, EvalReport> eval = r.eval();
    EvalReport teacher = eval.get("teacher");
    for (Map.Entry<String, EvalReport> e : eval.entrySet()) {
      EvalReport rep = e.getValue();
      ObjectNode o = root.putObject(e.getKey());
      o.put("accuracy", rep.accuracy());
      o.put("n", rep.n());
      if (rep.agreement() != null) {
        o.put("agreement", rep.agreement());
      }
      if (rep.kl() != null) {
        o.put("kl", rep.kl());
      }
      o.put("perplexity", rep.perplexity());
      o.put("decode_tokens_per_second", rep.decodeTokensPerSecond());
      if (teacher != null && rep != teacher && teacher.accuracy() > 0) {
        o.put("accuracy_vs_teacher", rep.accuracy() / teacher.accuracy());
      }
      ObjectNode types = o.putObject("by_type");
      rep.byType()
          .forEach((k, v) -> types.putObject(k).put("n", v.n()).put("accuracy", v.accuracy()));
    }
    ObjectNode training = root.putObject("training");
    summary(training, "stage1", r.stage1());
    summary(training, "stage2", r.stage2());
    for (Distillation.StudentResult s : r.students()) {
      summary(training, "stage3:" + s.name(), s.stage3());
      ObjectNode curve =
          org.mmmamba.distill.eval.MidRunCurve.json(
              r.outDir()
                  .resolve("students")
                  .resolve(s.name())
                  .resolve("train")
                  .resolve("metrics.jsonl"));
      if (curve != null) {
        training.with("stage3:" + s.name()).set("eval_during_training", curve);
      }
      root.with("students").put(s.name(), s.layout());
    }
    AtomicText.writeString(
        r.outDir().resolve("report.json"),
        JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    AtomicText.writeString(r.outDir().resolve("report.md"), markdown(r));
    plotLosses(r);
    return root;
  }

  private static void summary(ObjectNode parent, String key, TrainingRun.Summary s) {
    if (s == null) {
      return;
    }
    parent
        .putObject(key)
        .put("steps", s.steps())
        .put("final_loss", s.finalLoss())
        .put("tokens_per_second", s.tokensPerSecond())
        .put("seconds", s.seconds())
        .put("skipped", s.skipped());
  }

  /** The side-by-side table (Markdown). */
  public static String table(Distillation.Result r) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "| model | layout | accuracy | vs teacher | agreement | KL/token | answer ppl | decode tok/s |\n");
    sb.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
    EvalReport t = r.eval().get("teacher");
    for (Map.Entry<String, EvalReport> e : r.eval().entrySet()) {
      EvalReport rep = e.getValue();
      String layout = "attention (teacher)";
      for (Distillation.StudentResult s : r.students()) {
        if (s.name().equals(e.getKey())) {
          layout = s.layout();
        }
      }
      sb.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %.3f | %s | %s | %s | %.3f | %.1f |%n",
              e.getKey(),
              layout,
              rep.accuracy(),
              rep == t || t == null || t.accuracy() == 0
                  ? "-"
                  : String.format(Locale.ROOT, "%.0f%%", 100 * rep.accuracy() / t.accuracy()),
              rep.agreement() == null ? "-" : String.format(Locale.ROOT, "%.3f", rep.agreement()),
              rep.kl() == null ? "-" : String.format(Locale.ROOT, "%.4f", rep.kl()),
              rep.perplexity(),
              rep.decodeTokensPerSecond()));
    }
    return sb.toString();
  }

  static String markdown(Distillation.Result r) {
    StringBuilder sb = new StringBuilder("# Distillation report\n\n");
    sb.append(
            "Held-out evaluation (greedy answers, exact match after normalisation). Agreement = same answer as ")
        .append(
            "the teacher; KL = mean KL(teacher || model) per answer token, teacher-forced.\n\n");
    sb.append(table(r)).append('\n');
    sb.append("## Accuracy by question type\n\n");
    List<String> types = new ArrayList<>();
    r.eval()
        .values()
        .forEach(
            e ->
                e.byType()
                    .keySet()
                    .forEach(
                        k -> {
                          if (!types.contains(k)) {
                            types.add(k);
                          }
                        }));
    sb.append("| model |");
    types.forEach(t -> sb.append(' ').append(t).append(" |"));
    sb.append("\n|---|");
    types.forEach(t -> sb.append("---:|"));
    sb.append('\n');
    r.eval()
        .forEach(
            (name, e) -> {
              sb.append("| ").append(name).append(" |");
              types.forEach(
                  t -> {
                    EvalReport.TypeScore s = e.byType().get(t);
                    sb.append(
                        s == null
                            ? " - |"
                            : String.format(Locale.ROOT, " %.3f (n=%d) |", s.accuracy(), s.n()));
                  });
              sb.append('\n');
            });
    sb.append(
        "\n## Training\n\n| stage | steps | final loss | tokens/s | seconds |\n|---|---:|---:|---:|---:|\n");
    row(sb, "stage 1 (new params, layer MSE)", r.stage1());
    row(sb, "stage 2 (all mixer params, layer MSE)", r.stage2());
    for (Distillation.StudentResult s : r.students()) {
      row(sb, "stage 3 " + s.name() + " (" + s.layout() + ", KL)", s.stage3());
    }
    sb.append(
        "\nLoss curves: loss.png. Per-step metrics: stage*/train/metrics.jsonl, students/*/train/metrics.jsonl.\n");
    return sb.toString();
  }

  private static void row(StringBuilder sb, String name, TrainingRun.Summary s) {
    if (s == null) {
      sb.append("| ").append(name).append(" | skipped or loaded | | | |\n");
      return;
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "| %s | %d | %.4g | %.0f | %.1f |%n",
            name,
            s.steps(),
            s.finalLoss(),
            s.tokensPerSecond(),
            s.seconds()));
  }

  /** One PNG with every stage's loss (log y). */
  static void plotLosses(Distillation.Result r) throws IOException {
    LinePlot.Builder b =
        LinePlot.builder()
            .title("Distillation loss per stage")
            .xLabel("optimiser step")
            .yLabel("loss (stages 1-2: 1000 x MSE; stage 3: KL)")
            .logY(true);
    boolean any = false;
    any |= addSeries(b, "stage 1", r.outDir().resolve("stage1/train/metrics.jsonl"));
    any |= addSeries(b, "stage 2", r.outDir().resolve("stage2/train/metrics.jsonl"));
    for (Distillation.StudentResult s : r.students()) {
      any |=
          addSeries(
              b,
              "stage 3 " + s.name(),
              r.outDir().resolve("students/" + s.name() + "/train/metrics.jsonl"));
    }
    if (any) {
      b.build().writeIfPossible(r.outDir().resolve("loss.png"));
    }
  }

  /** Adds a metrics.jsonl's loss series; false when the file is absent. */
  static boolean addSeries(LinePlot.Builder b, String name, Path metrics) throws IOException {
    if (!Files.exists(metrics)) {
      return false;
    }
    List<double[]> pts = new ArrayList<>();
    for (String line : Files.readAllLines(metrics)) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode n = JSON.readTree(line);
      if (n.has("step") && n.has("loss") && n.get("loss").isNumber()) {
        pts.add(new double[] {n.get("step").asDouble(), n.get("loss").asDouble()});
      }
    }
    if (pts.isEmpty()) {
      return false;
    }
    double[] x = new double[pts.size()];
    double[] y = new double[pts.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = pts.get(i)[0];
      y[i] = pts.get(i)[1];
    }
    b.series(name, x, y);
    return true;
  }
}
