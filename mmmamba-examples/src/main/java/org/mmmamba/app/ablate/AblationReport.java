package org.mmmamba.app.ablate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import org.mmmamba.app.report.LinePlot;
import org.mmmamba.core.io.AtomicText;

/**
 * The ablation's outputs: {@code ablation.json}, {@code ablation.md} (our accuracy per row,
 * relative to the teacher, the paper's numbers for the same rows, both rankings and Spearman's rho
 * per paper metric) and {@code ablation.png} (our accuracy and the paper's headline metric, each
 * relative to its teacher, per row).
 */
public final class AblationReport {
  private static final ObjectMapper JSON = new ObjectMapper();

  private AblationReport() {}

  /**
   * One paper metric compared with our accuracy over the rows the paper reports.
   *
   * @param metric the paper column
   * @param rows indices of the rows that have it
   * @param ourRanks our accuracy's ranks among those rows (1 = best)
   * @param paperRanks the paper's ranks among those rows
   * @param rho Spearman's rank correlation of our accuracy with the paper's metric (NaN when
   *     undefined)
   * @param rhoAgreement the same for our agreement with the teacher (the teacher's own row counts
   *     as 1)
   * @param rhoKl the same for our KL to the teacher, ranked low = best (the teacher's own row
   *     counts as 0)
   */
  public record Comparison(
      String metric,
      List<Integer> rows,
      double[] ourRanks,
      double[] paperRanks,
      double rho,
      double rhoAgreement,
      double rhoKl) {}

  /**
   * Compares our accuracy (and agreement, KL) with every paper metric the rows carry, in order of
   * first appearance.
   */
  public static List<Comparison> compare(List<RowResult> rows) {
    LinkedHashSet<String> metrics = new LinkedHashSet<>();
    rows.forEach(r -> metrics.addAll(r.paper().keySet()));
    List<Comparison> out = new ArrayList<>();
    for (String m : metrics) {
      List<Integer> idx = new ArrayList<>();
      for (int i = 0; i < rows.size(); i++) {
        if (rows.get(i).paper().containsKey(m)) {
          idx.add(i);
        }
      }
      double[] ours = new double[idx.size()];
      double[] agree = new double[idx.size()];
      double[] negKl = new double[idx.size()];
      double[] paper = new double[idx.size()];
      for (int k = 0; k < idx.size(); k++) {
        RowResult r = rows.get(idx.get(k));
        ours[k] = r.accuracy();
        agree[k] = r.agreement() != null ? r.agreement() : 1.0;
        negKl[k] = r.kl() != null ? -r.kl() : 0.0;
        paper[k] = r.paper().get(m);
      }
      out.add(
          new Comparison(
              m,
              idx,
              Ranks.descending(ours),
              Ranks.descending(paper),
              Ranks.spearman(ours, paper),
              Ranks.spearman(agree, paper),
              Ranks.spearman(negKl, paper)));
    }
    return out;
  }

  /** Writes ablation.json, ablation.md and ablation.png into {@code dir}; returns the JSON. */
  static ObjectNode write(Ablation.Plan plan, List<RowResult> rows, Path dir, ArrayNode runs)
      throws IOException {
    AblationConfig c = plan.config();
    List<Comparison> cmp = compare(rows);
    double[] ourRanks = Ranks.descending(rows.stream().mapToDouble(RowResult::accuracy).toArray());
    ObjectNode root = JSON.createObjectNode();
    root.put("name", c.name());
    root.put("title", c.title());
    root.put("metric", c.metric());
    root.put("base", c.base());
    root.put("notes", c.notes());
    if (c.seeds() != null) {
      ArrayNode seeds = root.putArray("seeds");
      c.seeds().forEach(seeds::add);
    }
    if (c.paperTeacher() != null) {
      ObjectNode pt = root.putObject("paper_teacher");
      c.paperTeacher().forEach(pt::put);
    }
    ArrayNode ra = root.putArray("rows");
    for (int i = 0; i < rows.size(); i++) {
      RowResult r = rows.get(i);
      ObjectNode o = ra.addObject();
      o.put("name", r.name());
      ArrayNode rr = o.putArray("runs");
      r.runs().forEach(rr::add);
      o.put("student", r.student());
      o.put("layout", r.layout());
      o.put("n", r.n());
      o.put("accuracy", r.accuracy());
      ArrayNode sa = o.putArray("seed_accuracies");
      r.seedAccuracies().forEach(sa::add);
      putFinite(o, "seed_std", r.seedStd());
      o.put("ci95", r.ci95());
      o.put("teacher_accuracy", r.teacherAccuracy());
      putFinite(o, "accuracy_vs_teacher", r.vsTeacher());
      if (r.agreement() != null) {
        o.put("agreement", r.agreement());
      }
      if (r.kl() != null) {
        o.put("kl", r.kl());
      }
      o.put("rank", ourRanks[i]);
      ObjectNode p = o.putObject("paper");
      r.paper().forEach(p::put);
      ObjectNode pr = o.putObject("paper_rank");
      for (Comparison k : cmp) {
        int at = k.rows().indexOf(i);
        if (at >= 0) {
          pr.put(k.metric(), k.paperRanks()[at]);
        }
      }
      if (c.paperTeacher() != null) {
        ObjectNode pv = o.putObject("paper_vs_teacher");
        r.paper()
            .forEach(
                (m, v) -> {
                  Double t = c.paperTeacher().get(m);
                  if (t != null && t > 0) {
                    pv.put(m, v / t);
                  }
                });
      }
    }
    ObjectNode sp = root.putObject("spearman");
    for (Comparison k : cmp) {
      ObjectNode o = sp.putObject(k.metric());
      putFinite(o, "rho", k.rho());
      putFinite(o, "rho_agreement", k.rhoAgreement());
      putFinite(o, "rho_kl", k.rhoKl());
      o.put("n", k.rows().size());
    }
    root.set("runs", runs);
    AtomicText.writeString(
        dir.resolve("ablation.json"),
        JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    AtomicText.writeString(dir.resolve("ablation.md"), markdown(c, rows, cmp, ourRanks, runs));
    plot(c, rows).writeIfPossible(dir.resolve("ablation.png"));
    return root;
  }

  private static void putFinite(ObjectNode o, String key, double v) {
    if (Double.isFinite(v)) {
      o.put(key, v);
    } else {
      o.putNull(key);
    }
  }

  /** The Markdown page: the table, the rank agreement and the runs. */
  static String markdown(
      AblationConfig c,
      List<RowResult> rows,
      List<Comparison> cmp,
      double[] ourRanks,
      ArrayNode runs) {
    StringBuilder sb = new StringBuilder();
    sb.append("# ").append(c.title() != null ? c.title() : c.name()).append("\n\n");
    if (c.notes() != null) {
      sb.append(c.notes().strip()).append("\n\n");
    }
    RowResult first = rows.get(0);
    int k = first.seedAccuracies().size();
    double p = rows.stream().mapToDouble(RowResult::accuracy).average().orElse(0.5);
    sb.append(
        String.format(
            Locale.ROOT,
            "Ours: exact-match accuracy on the same %d held-out samples of the "
                + "synthetic task for every row; the teacher scores %.3f.",
            first.n(),
            first.teacherAccuracy()));
    if (k > 1) {
      sb.append(
          String.format(
              Locale.ROOT,
              " Each row is the mean of %d training seeds %s (run.seed and "
                  + "data.shuffle_seed), with the lowest and highest seed in brackets and their standard deviation (sd).",
              k,
              c.seeds()));
    }
    sb.append(
        String.format(
            Locale.ROOT,
            " Test-set sampling error: ±%.3f (95%%, 1.96·sqrt(p(1-p)/n) at p = %.2f) "
                + "for one accuracy; differences between rows are paired (same samples), so they are less noisy than that."
                + " Paper: the published numbers for the same rows. Ranks: 1 = best, ties share the mean rank.%n%n",
            1.96 * Math.sqrt(p * (1 - p) / first.n()),
            p));
    sb.append("| row | layout (attention layers) | accuracy |")
        .append(k > 1 ? " seeds [min, max] | sd |" : "")
        .append(" vs teacher | agreement | KL/token | rank |");
    for (Comparison m : cmp) {
      sb.append(" paper ").append(m.metric()).append(" (rank) |");
    }
    boolean rel = c.paperTeacher() != null && c.paperTeacher().containsKey(c.metric());
    if (rel) {
      sb.append(" paper ").append(c.metric()).append(" vs HoVLE |");
    }
    sb.append("\n|---|---|---:|").append(k > 1 ? "---|---:|" : "").append("---:|---:|---:|---:|");
    cmp.forEach(m -> sb.append("---:|"));
    sb.append(rel ? "---:|\n" : "\n");
    for (int i = 0; i < rows.size(); i++) {
      RowResult r = rows.get(i);
      sb.append(
          String.format(Locale.ROOT, "| %s | %s | %.3f |", r.name(), r.layout(), r.accuracy()));
      if (k > 1) {
        double lo =
            r.seedAccuracies().stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
        double hi =
            r.seedAccuracies().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        sb.append(String.format(Locale.ROOT, " [%.3f, %.3f] | %.3f |", lo, hi, r.seedStd()));
      }
      sb.append(
          String.format(
              Locale.ROOT,
              " %s | %s | %s | %s |",
              pct(r.vsTeacher()),
              r.agreement() == null ? "-" : String.format(Locale.ROOT, "%.3f", r.agreement()),
              r.kl() == null ? "-" : String.format(Locale.ROOT, "%.4f", r.kl()),
              rank(ourRanks[i])));
      for (Comparison m : cmp) {
        int at = m.rows().indexOf(i);
        sb.append(
            at < 0
                ? " - |"
                : String.format(
                    Locale.ROOT,
                    " %s (%s) |",
                    num(r.paper().get(m.metric())),
                    rank(m.paperRanks()[at])));
      }
      if (rel) {
        Double v = r.paper().get(c.metric());
        sb.append(v == null ? " - |" : " " + pct(v / c.paperTeacher().get(c.metric())) + " |");
      }
      sb.append('\n');
    }
    sb.append("\n## Rank agreement with the paper\n\n");
    sb.append(
            "Spearman's rho between our accuracy and each paper column, over the rows the paper reports ")
        .append(
            "(+1: same order, 0: unrelated, -1: reversed). Exact-match accuracy on short answers is a coarse ")
        .append(
            "measure; agreement with the teacher and KL to it (ranked low = best) measure how closely a student ")
        .append(
            "copies its teacher, which is what distillation optimises, so their correlations are given too ")
        .append("(the teacher's own row counts as agreement 1, KL 0).\n\n");
    sb.append(
            "| paper metric | rows | our order by accuracy (best first) | paper order (best first) | rho: accuracy ")
        .append("| rho: agreement | rho: KL |\n|---|---:|---|---|---:|---:|---:|\n");
    for (Comparison m : cmp) {
      sb.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %s | %s | %s | %s | %s |%n",
              m.metric(),
              m.rows().size(),
              order(rows, m.rows(), m.ourRanks()),
              order(rows, m.rows(), m.paperRanks()),
              rho(m.rho()),
              rho(m.rhoAgreement()),
              rho(m.rhoKl())));
    }
    sb.append(
        "\n## Runs\n\n| run | rows | students (stage 3) | overrides | minutes |\n|---|---|---|---|---:|\n");
    runs.forEach(
        r -> {
          List<String> rn = new ArrayList<>();
          r.path("rows").forEach(n -> rn.add(n.asText()));
          List<String> st = new ArrayList<>();
          r.path("students")
              .properties()
              .forEach(e -> st.add(e.getKey() + " = " + e.getValue().asText()));
          List<String> set = new ArrayList<>();
          r.path("set").forEach(n -> set.add("`" + n.asText() + "`"));
          sb.append(
              String.format(
                  Locale.ROOT,
                  "| %s | %s | %s | %s | %.1f%s |%n",
                  r.path("name").asText(),
                  String.join(", ", rn),
                  String.join(", ", st),
                  set.isEmpty() ? "-" : String.join(" ", set),
                  r.path("seconds").asDouble() / 60,
                  r.path("reused").asBoolean() ? " (reused)" : ""));
        });
    double total = 0;
    for (var r : runs) {
      total += r.path("seconds").asDouble();
    }
    sb.append(String.format(Locale.ROOT, "%nTotal: %.1f minutes.", total / 60));
    sb.append(
            "\n(reused) = finished by an earlier invocation and read back (--resume); minutes are that run's. ")
        .append(
            "Each run directory (runs/NAME) holds the distillation's report.md, eval.json, loss.png and ")
        .append("metrics.\n");
    return sb.toString();
  }

  /** Row names in rank order ("a > b = c"). */
  static String order(List<RowResult> rows, List<Integer> idx, double[] ranks) {
    List<Integer> k = new ArrayList<>();
    for (int i = 0; i < idx.size(); i++) {
      k.add(i);
    }
    k.sort((a, b) -> Double.compare(ranks[a], ranks[b]));
    StringBuilder sb = new StringBuilder();
    for (int j = 0; j < k.size(); j++) {
      if (j > 0) {
        sb.append(ranks[k.get(j)] == ranks[k.get(j - 1)] ? " = " : " > ");
      }
      sb.append(rows.get(idx.get(k.get(j))).name());
    }
    return sb.toString();
  }

  /** Our accuracy and the paper's headline metric, each as a fraction of its teacher, per row. */
  static LinePlot plot(AblationConfig c, List<RowResult> rows) {
    int n = rows.size();
    double[] x = new double[n];
    double[] ours = new double[n];
    double[] paper = new double[n];
    Double pt = c.paperTeacher() == null ? null : c.paperTeacher().get(c.metric());
    for (int i = 0; i < n; i++) {
      x[i] = i + 1;
      ours[i] = rows.get(i).vsTeacher();
      Double v = rows.get(i).paper().get(c.metric());
      paper[i] = v == null || pt == null ? Double.NaN : v / pt;
    }
    StringBuilder names = new StringBuilder("row:");
    for (int i = 0; i < n; i++) {
      names.append(i == 0 ? " " : ", ").append(i + 1).append(" = ").append(rows.get(i).name());
    }
    String xLabel = names.length() <= 130 ? names.toString() : "row (numbered as in ablation.md)";
    LinePlot.Builder b =
        LinePlot.builder()
            .title(c.title() != null ? c.title() : c.name())
            .xLabel(xLabel)
            .yLabel("score / the teacher's score")
            .size(1000, 520)
            .series("ours: accuracy / teacher's accuracy", x, ours);
    if (pt != null) {
      b.series("paper: " + c.metric() + " / HoVLE's " + c.metric(), x, paper);
    }
    return b.build();
  }

  private static String rho(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%+.2f", v) : "n/a";
  }

  private static String pct(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.0f%%", 100 * v) : "-";
  }

  private static String rank(double r) {
    return r == Math.rint(r) ? String.valueOf((int) r) : String.format(Locale.ROOT, "%.1f", r);
  }

  private static String num(double v) {
    return Double.toString(v);
  }
}
