package org.mmmamba.examples.docs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The figures the README and docs quote, generated from committed run outputs, never typed by hand:
 * {@code docs/runs/quickstart/report.json} (the quickstart's results), {@code
 * models/shapes-teacher/training.json} (the teacher's own held-out accuracy and the text-only
 * baseline) and {@code docs/bench/bench.json} (the benchmark headline). Each block sits between
 * {@code <!-- generated:NAME -->} and {@code <!-- /generated:NAME -->} comments; {@link
 * #regenerate} rewrites them, and the docs test fails when a committed block differs from what the
 * run outputs give.
 *
 * <p>Run {@code scripts/docs} after committing new run outputs (a new quickstart report or bench
 * run).
 */
public final class DocsFigures {
  private static final ObjectMapper JSON = new ObjectMapper();

  private DocsFigures() {}

  /** A generated block: the file it lives in, its name and its text. */
  public record Block(String file, String name, String text) {}

  /**
   * Every generated block, computed from the run outputs under {@code root}.
   *
   * @param root the repository root
   * @return the blocks
   */
  public static List<Block> blocks(Path root) {
    JsonNode report = read(root.resolve("docs/runs/quickstart/report.json"));
    JsonNode teacher = read(root.resolve("models/shapes-teacher/training.json"));
    JsonNode bench = read(root.resolve("docs/bench/bench.json"));
    List<Block> out = new ArrayList<>();
    out.add(new Block("README.md", "quickstart-results", quickstartResults(report, teacher)));
    out.add(new Block("README.md", "bench-headline", benchHeadline(bench)));
    out.add(new Block("docs/benchmarks.md", "bench-goals", benchGoals(bench)));
    Path h200 = root.resolve("docs/bench/h200/bench.json");
    Path h200Peer = root.resolve("docs/bench/h200/peer.json");
    if (Files.exists(h200)) {
      out.add(new Block("docs/benchmarks.md", "h200-goals", h200Goals(read(h200))));
      if (Files.exists(h200Peer)) {
        out.add(
            new Block(
                "docs/benchmarks.md", "h200-vs-peer", versusPeer(read(h200), read(h200Peer))));
      }
    }
    // The first H200 bench run (an older tree), kept for the record beside its prose.
    Path h200First = root.resolve("docs/bench/h200/raw/superseded/c964e0f/bench.json");
    if (Files.exists(h200First)) {
      out.add(new Block("docs/benchmarks.md", "h200-c964e0f-goals", h200Goals(read(h200First))));
    }
    Path h100 = root.resolve("docs/bench/h100/bench.json");
    Path peer = root.resolve("docs/bench/h100/peer.json");
    if (Files.exists(h100)) {
      out.add(new Block("docs/benchmarks.md", "h100-goals", h200Goals(read(h100))));
      if (Files.exists(peer)) {
        out.add(
            new Block("docs/benchmarks.md", "h100-vs-peer", versusPeer(read(h100), read(peer))));
      }
    }
    // The latest H100 call (fast host) of the tree of 603fb3a, with its same-call peer.
    Path latest = root.resolve("docs/bench/h100/raw/603fb3a/bench/bench.json");
    Path latestPeer = root.resolve("docs/bench/h100/raw/603fb3a/peer.json");
    if (Files.exists(latest) && Files.exists(latestPeer)) {
      out.add(new Block("docs/benchmarks.md", "h100-603fb3a-goals", h200Goals(read(latest))));
      out.add(
          new Block(
              "docs/benchmarks.md",
              "h100-603fb3a-vs-peer",
              versusPeer(read(latest), read(latestPeer))));
    }
    // The H100 call of the tree of c48df5e (a slower host), with its same-call peer.
    Path c48 = root.resolve("docs/bench/h100/raw/c48df5e/bench/bench.json");
    Path c48Peer = root.resolve("docs/bench/h100/raw/c48df5e/peer.json");
    if (Files.exists(c48) && Files.exists(c48Peer)) {
      out.add(new Block("docs/benchmarks.md", "h100-c48df5e-goals", h200Goals(read(c48))));
      out.add(
          new Block(
              "docs/benchmarks.md", "h100-c48df5e-vs-peer", versusPeer(read(c48), read(c48Peer))));
    }
    // The fused teacher attention: A/B on the training points, then the bench and the peer
    // (d1f7e84).
    Path d1 = root.resolve("docs/bench/h100/raw/d1f7e84");
    if (Files.isDirectory(d1)) {
      Map<String, JsonNode> runs = new LinkedHashMap<>();
      for (String r : new String[] {"off1", "on1", "off2", "on2", "off3", "on3"}) {
        runs.put(r, read(d1.resolve("ab").resolve(r).resolve("bench.json")));
      }
      out.add(new Block("docs/benchmarks.md", "h100-sdpa-ab-fp16", trainingAb(runs, "fp16")));
      out.add(new Block("docs/benchmarks.md", "h100-sdpa-ab-tf32", trainingAb(runs, "tf32")));
      JsonNode d1Bench = read(d1.resolve("bench/bench.json"));
      out.add(new Block("docs/benchmarks.md", "h100-d1f7e84-goals", h200Goals(d1Bench)));
      out.add(
          new Block(
              "docs/benchmarks.md",
              "h100-d1f7e84-vs-peer",
              versusPeer(d1Bench, read(d1.resolve("peer.json")))));
    }
    // The long soaks (scripts/soak-long), before and after the data read-ahead.
    List<Path> soaks =
        List.of(
            root.resolve("docs/robustness/soak-long"),
            root.resolve("docs/robustness/soak-long-readahead"));
    if (soaks.stream().allMatch(d -> Files.exists(d.resolve("summary.json")))) {
      out.add(new Block("docs/robustness.md", "soak-long", soakRows(soaks)));
    }
    // Data read-ahead on a dataset of photos (scripts/read-ahead).
    Path readAhead = root.resolve("docs/bench/read-ahead");
    if (Files.isDirectory(readAhead)) {
      out.add(new Block("docs/benchmarks.md", "read-ahead", readAhead(readAhead)));
    }
    // A/B calls of mmmamba-distill jars on the training points (configs/bench/h200-train.yaml).
    for (String[] ab :
        new String[][] {
          {"ab-e82865a", "old1", "flat1", "prefetch1", "old2", "flat2", "prefetch2"},
          {"ab-19986fe", "old1", "new1", "old2", "new2", "old3", "new3"}
        }) {
      Path dir = root.resolve("docs/bench/h100/raw/" + ab[0]);
      if (Files.isDirectory(dir)) {
        Map<String, JsonNode> runs = new LinkedHashMap<>();
        for (int i = 1; i < ab.length; i++) {
          runs.put(ab[i], read(dir.resolve(ab[i]).resolve("bench.json")));
        }
        out.add(new Block("docs/benchmarks.md", "h100-" + ab[0], trainingAb(runs, "fp16")));
      }
    }
    // The bench and same-call peer of the tree with the attention value-product split (a slower
    // H100 host than the one above; compare within the call only).
    Path split = root.resolve("docs/bench/h100/raw/63f3fc0/bench/bench.json");
    Path splitPeer = root.resolve("docs/bench/h100/raw/63f3fc0/peer.json");
    if (Files.exists(split) && Files.exists(splitPeer)) {
      out.add(
          new Block(
              "docs/benchmarks.md",
              "h100-63f3fc0-vs-peer",
              versusPeer(read(split), read(splitPeer))));
    }
    return out;
  }

  /**
   * Rewrites every block in its file.
   *
   * @param root the repository root
   * @return the files changed
   */
  public static List<String> regenerate(Path root) {
    Map<String, String> texts = new LinkedHashMap<>();
    for (Block b : blocks(root)) {
      String t = texts.computeIfAbsent(b.file(), f -> readText(root.resolve(f)));
      texts.put(b.file(), replace(t, b));
    }
    List<String> changed = new ArrayList<>();
    texts.forEach(
        (f, t) -> {
          if (!t.equals(readText(root.resolve(f)))) {
            try {
              Files.writeString(root.resolve(f), t, StandardCharsets.UTF_8);
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
            changed.add(f);
          }
        });
    return changed;
  }

  /**
   * The committed text of a block.
   *
   * @param fileText the file's text
   * @param name the block's name
   * @return the text between its markers
   * @throws IllegalStateException when the markers are missing
   */
  public static String committed(String fileText, String name) {
    String begin = begin(name);
    String end = end(name);
    int a = fileText.indexOf(begin);
    int b = fileText.indexOf(end);
    if (a < 0 || b < a) {
      throw new IllegalStateException("markers " + begin + " ... " + end + " not found");
    }
    return fileText.substring(a + begin.length(), b);
  }

  static String replace(String fileText, Block b) {
    String begin = begin(b.name());
    int a = fileText.indexOf(begin);
    int e = fileText.indexOf(end(b.name()));
    if (a < 0 || e < a) {
      throw new IllegalStateException(b.file() + ": markers of block " + b.name() + " not found");
    }
    return fileText.substring(0, a + begin.length()) + b.text() + fileText.substring(e);
  }

  static String begin(String name) {
    return "<!-- generated:" + name + " (scripts/docs; do not edit by hand) -->\n";
  }

  static String end(String name) {
    return "<!-- /generated:" + name + " -->";
  }

  static String quickstartResults(JsonNode r, JsonNode teacher) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "| model | layout | held-out accuracy | vs teacher | agreement with teacher | KL/answer token |\n");
    sb.append("|---|---|---:|---:|---:|---:|\n");
    sb.append("| teacher (HoVLE-style, attention) | 8 attention layers | ")
        .append(f3(r.path("teacher").path("accuracy")))
        .append(" | | | |\n");
    JsonNode students = r.path("students");
    for (var it = students.fields(); it.hasNext(); ) {
      var e = it.next();
      JsonNode s = r.path(e.getKey());
      String layout = e.getValue().asText();
      String what =
          layout.equals("linear") ? "mmMamba-linear student" : "mmMamba-" + e.getKey() + " student";
      String lay = layout.equals("linear") ? "8 Mamba-2 layers" : layout;
      sb.append("| ")
          .append(what)
          .append(" | ")
          .append(lay)
          .append(" | ")
          .append(f3(s.path("accuracy")))
          .append(" | ")
          .append(pct(s.path("accuracy_vs_teacher").asDouble()))
          .append(" | ")
          .append(f3(s.path("agreement")))
          .append(" | ")
          .append(f3(s.path("kl")))
          .append(" |\n");
    }
    JsonNode tr = r.path("training");
    List<String> steps = new ArrayList<>();
    for (String k : List.of("stage1", "stage2")) {
      if (tr.has(k)) {
        steps.add(String.valueOf(tr.path(k).path("steps").asLong()));
      }
    }
    long s3 = 0;
    StringBuilder best = new StringBuilder();
    for (var it = students.fieldNames(); it.hasNext(); ) {
      String n = it.next();
      JsonNode st = tr.path("stage3:" + n);
      s3 = st.path("steps").asLong();
      JsonNode cur = st.path("eval_during_training");
      if (cur.has("best_step")) {
        best.append(best.length() == 0 ? "" : "; ")
            .append(n)
            .append(": best at step ")
            .append(cur.path("best_step").asLong())
            .append(" (")
            .append(f3(cur.path("best").path("exact_match")))
            .append(")");
      }
    }
    steps.add(s3 + " per student");
    sb.append('\n');
    sb.append("(")
        .append(r.path("teacher").path("n").asInt())
        .append(" questions; distillation steps: ")
        .append(String.join(" + ", steps))
        .append(". ")
        .append("The teacher's own held-out accuracy, measured when it was trained, is ")
        .append(f3(teacher.path("test_accuracy")))
        .append(" on ")
        .append(teacher.path("test_n").asInt())
        .append(
            " questions (`models/shapes-teacher/training.json`); a text-only model (the most frequent answer ")
        .append("for each question) scores ")
        .append(f3(teacher.path("text_only_baseline")))
        .append(", so the models have to read the image.");
    if (best.length() > 0) {
      sb.append(" Held-out points during stage 3 (`eval.every`): ").append(best).append('.');
    }
    sb.append(")\n");
    return sb.toString();
  }

  static String benchHeadline(JsonNode b) {
    JsonNode sum = b.path("summary");
    Map<String, JsonNode> at = decodeAt(b, sum.path("context").asLong());
    double[] ratio = floorRange(b, "decode", null);
    return String.format(
        Locale.ROOT,
        "the linear student's next-token latency is flat from %s to %s tokens of%n"
            + "context (%s ms at %s, %s %% spread) while the teacher's grows with its KV cache (%s ms at %s: the student%n"
            + "is %s× faster), and its peak memory at %s is %s %% lower (%s vs %s GiB). The hybrid sits between them%n"
            + "(%s ms, %s GiB). Every decode figure is within %s-%s× of the memory-bandwidth floor measured in the same%n"
            + "run.%n",
        k(minContext(b)),
        k(sum.path("context").asLong()),
        g3(at.get("linear").path("latency_ms").asDouble()),
        k(sum.path("context").asLong()),
        Math.round(100 * sum.path("linear_decode_spread").asDouble()),
        g3(at.get("teacher").path("latency_ms").asDouble()),
        k(sum.path("context").asLong()),
        String.format(Locale.ROOT, "%.1f", sum.path("speedup_linear").asDouble()),
        k(sum.path("context").asLong()),
        Math.round(100 * sum.path("peak_reduction_linear").asDouble()),
        gib(at.get("linear").path("peak_bytes").asLong()),
        gib(at.get("teacher").path("peak_bytes").asLong()),
        g3(at.get("hybrid").path("latency_ms").asDouble()),
        gib(at.get("hybrid").path("peak_bytes").asLong()),
        String.format(Locale.ROOT, "%.1f", ratio[0]),
        String.format(Locale.ROOT, "%.1f", ratio[1]));
  }

  static String benchGoals(JsonNode b) {
    JsonNode sum = b.path("summary");
    long ctx = sum.path("context").asLong();
    Map<String, JsonNode> at = decodeAt(b, ctx);
    double[] dec = floorRange(b, "decode", null);
    double[] t2 = floorRange(b, "table2", null);
    double[] lp = floorRange(b, "prefill", "linear");
    double[] tp = floorRange(b, "prefill", "teacher");
    double[] hp = floorRange(b, "prefill", "hybrid");
    StringBuilder sb = new StringBuilder();
    sb.append("| goal | measured | verdict |\n|---|---|---|\n");
    double spread = sum.path("linear_decode_spread").asDouble();
    sb.append(
        String.format(
            Locale.ROOT,
            "| linear decode flat within 20 %% from %s to %s | %d %% (max vs min of "
                + "the medians over every context) | %s |%n",
            k(minContext(b)),
            k(ctx),
            Math.round(100 * spread),
            spread <= 0.2 ? "met" : "not met"));
    double sp = sum.path("speedup_linear").asDouble();
    sb.append(
        String.format(
            Locale.ROOT,
            "| linear ≥ 10× faster than the teacher at %s | %.1f× (%s vs %s ms) | %s |%n",
            k(ctx),
            sp,
            g3(at.get("teacher").path("latency_ms").asDouble()),
            g3(at.get("linear").path("latency_ms").asDouble()),
            sp >= 10 ? "met" : "not met"));
    double pr = sum.path("peak_reduction_linear").asDouble();
    sb.append(
        String.format(
            Locale.ROOT,
            "| linear peak memory at %s ≥ 70 %% below the teacher | %d %% lower "
                + "process RSS (%d %% lower for engine bytes, i.e. weights + cache) | %s |%n",
            k(ctx),
            Math.round(100 * pr),
            Math.round(100 * sum.path("engine_reduction_linear").asDouble()),
            pr >= 0.7 ? "met" : "not met"));
    boolean between =
        sum.path("hybrid_between_latency").asBoolean()
            && sum.path("hybrid_between_memory").asBoolean();
    sb.append(
        String.format(
            Locale.ROOT,
            "| hybrid between the two at %s | latency %s, memory %s | %s |%n",
            k(ctx),
            sum.path("hybrid_between_latency").asBoolean() ? "yes" : "no",
            sum.path("hybrid_between_memory").asBoolean() ? "yes" : "no",
            between ? "met" : "not met"));
    sb.append(
        String.format(
            Locale.ROOT,
            "| each figure within 2× of its floor, or a reason | decode %.1f–%.1f×, "
                + "Table 2 %.1f–%.1f×, linear prefill %.1f–%.1f×; teacher prefill up to %.1f× and hybrid prefill up to "
                + "%.1f×: reasons below | %s |%n",
            dec[0],
            dec[1],
            t2[0],
            t2[1],
            lp[0],
            lp[1],
            tp[1],
            hp[1],
            Math.max(Math.max(dec[1], t2[1]), Math.max(lp[1], Math.max(tp[1], hp[1]))) <= 2
                ? "met"
                : "met / explained"));
    return sb.toString();
  }

  /** One training-step record of the GPU bench (null if absent). */
  private static JsonNode step(JsonNode b, String phase, long ctx, long batch, String precision) {
    for (JsonNode r : b.path("results")) {
      if (r.path("phase").asText().equals(phase)
          && r.path("context").asLong() == ctx
          && r.path("batch").asLong(1) == batch
          && r.path("precision").asText().equals(precision)) {
        return r;
      }
    }
    return null;
  }

  /**
   * Training steps of several runs of one call side by side (an A/B of jars): tokens/s per phase
   * and point in {@code precision}, one column per run in the given order, and each run's mean over
   * the points relative to the first run's.
   *
   * @param runs run label to its {@code bench.json}, in column order
   */
  /**
   * The read-ahead variants of {@code scripts/read-ahead}: per variant ({@code
   * ahead<R>-workers<W>-r<round>.jsonl}, each a stage's metrics.jsonl) the median step time and
   * data wait over steps 6-40 of each round, and the loss of the last step (the same in every
   * variant: the batches are the same).
   */
  /**
   * One row per long soak ({@code scripts/soak-long}): its summary.json (steps, RSS start/end/peak,
   * second-half slope) and, from the manifest beside it, the allocator and the data read-ahead.
   */
  static String soakRows(List<Path> runs) {
    StringBuilder sb =
        new StringBuilder(
            "| run | allocator | data.read_ahead | steps | RSS start -> end, MiB | RSS max (peak"
                + " VmHWM), MiB | second-half slope, MiB per 1,000 steps |\n"
                + "|---|---|---:|---:|---|---|---:|\n");
    for (Path dir : runs) {
      JsonNode s = read(dir.resolve("summary.json"));
      JsonNode m = read(dir.resolve("manifest.json"));
      String alloc = m.path("system").path("allocator").asText("?");
      int paren = alloc.indexOf(" (");
      java.util.regex.Matcher ra =
          java.util.regex.Pattern.compile("\\n  read_ahead: (\\d+)")
              .matcher(m.path("config").asText(""));
      String ahead = ra.find() ? ra.group(1) : "none (older tree)";
      sb.append(
          String.format(
              Locale.ROOT,
              "| `%s` (`%s`) | %s | %s | %,d | %.1f -> %.1f | %.1f (%.1f) | %.2f |%n",
              dir.getFileName(),
              m.path("git_commit").asText("?").substring(0, 7),
              paren > 0 ? alloc.substring(0, paren) : alloc,
              ahead,
              s.get("steps").asLong(),
              s.get("rss_start_mib").asDouble(),
              s.get("rss_end_mib").asDouble(),
              s.get("rss_max_mib").asDouble(),
              s.get("rss_peak_mib").asDouble(),
              s.get("second_half_slope_mib_per_1000_steps").asDouble()));
    }
    return sb.toString();
  }

  static String readAhead(Path dir) {
    java.util.TreeMap<String, List<Path>> byVariant = new java.util.TreeMap<>();
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      files
          .filter(f -> f.getFileName().toString().matches("ahead\\d+-workers\\d+-r\\d+\\.jsonl"))
          .sorted()
          .forEach(
              f -> {
                String n = f.getFileName().toString();
                byVariant
                    .computeIfAbsent(n.substring(0, n.lastIndexOf("-r")), k -> new ArrayList<>())
                    .add(f);
              });
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    StringBuilder sb =
        new StringBuilder(
            "| data.read_ahead | data.workers | step, s (median; each round) | waiting for data, s"
                + " (median; each round) | loss at step 40 |\n|---:|---:|---|---|---:|\n");
    for (Map.Entry<String, List<Path>> v : byVariant.entrySet()) {
      String[] parts = v.getKey().replace("ahead", "").split("-workers");
      List<String> step = new ArrayList<>();
      List<String> wait = new ArrayList<>();
      java.util.Set<String> lastLoss = new java.util.TreeSet<>();
      for (Path f : v.getValue()) {
        List<Double> secs = new ArrayList<>();
        List<Double> data = new ArrayList<>();
        try {
          for (String line : Files.readAllLines(f)) {
            JsonNode r = JSON.readTree(line);
            if (!r.has("data_seconds") || r.path("step").asInt() < 6) {
              continue;
            }
            secs.add(r.path("seconds").asDouble());
            data.add(r.path("data_seconds").asDouble());
            if (r.path("step").asInt() == 40) {
              lastLoss.add(String.format(Locale.ROOT, "%.4f", r.path("loss").asDouble()));
            }
          }
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
        step.add(String.format(Locale.ROOT, "%.3f", median(secs)));
        wait.add(String.format(Locale.ROOT, "%.3f", median(data)));
      }
      sb.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %s | %s |%n",
              parts[0],
              parts[1],
              String.join(", ", step),
              String.join(", ", wait),
              String.join(", ", lastLoss))); // one value when every round ended the same
    }
    return sb.toString();
  }

  private static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    java.util.Collections.sort(s);
    int n = s.size();
    return n == 0 ? Double.NaN : n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  static String trainingAb(Map<String, JsonNode> runs, String precision) {
    StringBuilder sb = new StringBuilder("| phase | tokens x batch |");
    StringBuilder rule = new StringBuilder("|---|---|");
    for (String label : runs.keySet()) {
      sb.append(' ').append(label).append(" |");
      rule.append("---:|");
    }
    sb.append('\n').append(rule).append('\n');
    JsonNode first = runs.values().iterator().next();
    double[] ratioSum = new double[runs.size()];
    int rows = 0;
    for (JsonNode r : first.path("results")) {
      String phase = r.path("phase").asText();
      if (!phase.startsWith("stage") || !r.path("precision").asText().equals(precision)) {
        continue;
      }
      long ctx = r.path("context").asLong();
      long batch = r.path("batch").asLong(1);
      double base = r.path("tokens_per_s").asDouble();
      sb.append(String.format(Locale.ROOT, "| %s | %,d x %d |", phase, ctx, batch));
      int i = 0;
      for (JsonNode b : runs.values()) {
        JsonNode x = step(b, phase, ctx, batch, precision);
        double tps = x == null ? Double.NaN : x.path("tokens_per_s").asDouble();
        sb.append(String.format(Locale.ROOT, " %,.0f |", tps));
        ratioSum[i++] += tps / base;
      }
      sb.append('\n');
      rows++;
    }
    sb.append("| mean vs the first column | |");
    for (double v : ratioSum) {
      sb.append(String.format(Locale.ROOT, " %.3f |", v / rows));
    }
    return sb.append('\n').toString();
  }

  /**
   * The CUDA issue's targets against the committed GPU bench ({@code docs/bench/h200/bench.json}):
   * stage-3 tokens/s per precision at 2,048 x 1, the 270-token point, stages 1-2 per token against
   * stage 3, peak GPU memory, and decode.
   */
  static String h200Goals(JsonNode b) {
    StringBuilder sb = new StringBuilder();
    sb.append("| target (issue) | measured | verdict |\n|---|---|---|\n");
    String[][] targets = {{"fp32", "2300"}, {"tf32", "6400"}, {"fp16", "7000"}};
    for (String[] t : targets) {
      JsonNode r = step(b, "stage3", 2048, 1, t[0]);
      if (r == null) {
        continue;
      }
      double tps = r.path("tokens_per_s").asDouble();
      sb.append(
          String.format(
              Locale.ROOT,
              "| stage 3, 2,048 x 1, %s: ≥ %s tok/s | %,.0f tok/s (%.0f ms/step, %.1f GB peak) | %s |%n",
              t[0].equals("fp16") ? "fp16-mixed" : t[0],
              String.format(Locale.ROOT, "%,d", Integer.parseInt(t[1])),
              tps,
              r.path("latency_ms").asDouble(),
              r.path("peak_bytes").asDouble() / 1e9,
              tps >= Double.parseDouble(t[1]) ? "met" : "not met"));
    }
    for (String prec : new String[] {"fp32", "tf32", "fp16"}) {
      JsonNode r = step(b, "stage3", 270, 1, prec);
      if (r != null) {
        double tps = r.path("tokens_per_s").asDouble();
        sb.append(
            String.format(
                Locale.ROOT,
                "| stage 3, 270 x 1, %s: ≥ 1,215 tok/s | %,.0f tok/s | %s |%n",
                prec.equals("fp16") ? "fp16-mixed" : prec,
                tps,
                tps >= 1215 ? "met" : "not met"));
      }
    }
    double maxPeak = 0;
    StringBuilder slower = new StringBuilder();
    for (String prec : new String[] {"fp32", "tf32", "fp16"}) {
      JsonNode s3 = step(b, "stage3", 2048, 1, prec);
      for (String ph : new String[] {"stage1", "stage2", "stage3"}) {
        JsonNode r = step(b, ph, 2048, 1, prec);
        if (r == null) {
          continue;
        }
        maxPeak = Math.max(maxPeak, r.path("peak_bytes").asDouble());
        if (s3 != null
            && !ph.equals("stage3")
            && r.path("tokens_per_s").asDouble() < s3.path("tokens_per_s").asDouble()) {
          slower.append(
              String.format(
                  Locale.ROOT,
                  "%s%s %s %,.0f",
                  slower.length() == 0 ? "" : ", ",
                  ph,
                  prec,
                  r.path("tokens_per_s").asDouble()));
        }
      }
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "| stages 1 and 2 at least as fast per token as stage 3 (2,048 x 1) | %s | %s |%n",
            slower.length() == 0 ? "all at least as fast" : "slower: " + slower + " tok/s",
            slower.length() == 0 ? "met" : "not met"));
    sb.append(
        String.format(
            Locale.ROOT,
            "| every stage ≤ 80 GB at 2,048 tokens | at most %.1f GB | %s |%n",
            maxPeak / 1e9,
            maxPeak <= 80e9 ? "met" : "not met"));
    Map<String, Map<Long, JsonNode>> dec = new LinkedHashMap<>();
    for (JsonNode r : b.path("results")) {
      if (r.path("phase").asText().equals("decode")
          && r.path("precision").asText().equals("fp32")) {
        dec.computeIfAbsent(r.path("model").asText(), k -> new java.util.TreeMap<>())
            .put(r.path("context").asLong(), r);
      }
    }
    Map<Long, JsonNode> lin = dec.get("linear");
    Map<Long, JsonNode> tea = dec.get("teacher");
    if (lin != null && tea != null && !lin.isEmpty()) {
      double lo = Double.MAX_VALUE;
      double hi = 0;
      for (JsonNode r : lin.values()) {
        lo = Math.min(lo, r.path("latency_ms").asDouble());
        hi = Math.max(hi, r.path("latency_ms").asDouble());
      }
      long first = ((java.util.TreeMap<Long, JsonNode>) lin).firstKey();
      long last = ((java.util.TreeMap<Long, JsonNode>) lin).lastKey();
      double ratio =
          lin.get(last).path("latency_ms").asDouble()
              / lin.get(first).path("latency_ms").asDouble();
      sb.append(
          String.format(
              Locale.ROOT,
              "| linear decode flat (≤ 1.2× from %s to %s), fp32 | %.2f× (%.1f-%.1f ms over all contexts) | %s |%n",
              k(first),
              k(last),
              ratio,
              lo,
              hi,
              ratio <= 1.2 ? "met" : "not met"));
      double at = lin.get(last).path("latency_ms").asDouble();
      sb.append(
          String.format(
              Locale.ROOT,
              "| linear decode at least as fast as the eager peer (~32 ms/token; graph-captured ~4.8) | %.1f ms at %s | %s |%n",
              at,
              k(last),
              at <= 32 ? "met" : "not met"));
      if (tea.containsKey(last)) {
        double red =
            1
                - lin.get(last).path("peak_bytes").asDouble()
                    / tea.get(last).path("peak_bytes").asDouble();
        sb.append(
            String.format(
                Locale.ROOT,
                "| linear memory at %s ≥ 70 %% below the teacher's | %d %% below (%.1f vs %.1f GB peak GPU memory) | %s |%n",
                k(last),
                Math.round(100 * red),
                lin.get(last).path("peak_bytes").asDouble() / 1e9,
                tea.get(last).path("peak_bytes").asDouble() / 1e9,
                red >= 0.7 ? "met" : "not met"));
      }
    }
    return sb.toString();
  }

  /**
   * The GPU bench beside the PyTorch eager peer measured on the same card in the same call ({@code
   * scripts/gpu-peer}, {@code peer.json}): stage-3 tokens/s and peak memory per point and
   * precision, then decode ms per token. Ours fp16 is fp16-mixed; the peer's fp16 and bf16 are
   * autocast.
   */
  static String versusPeer(JsonNode b, JsonNode peer) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "| stage 3, tokens x batch | ours fp32 | peer fp32 | ours tf32 | peer tf32 | ours fp16-mixed |"
            + " peer fp16 autocast | peer bf16 autocast |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    int[][] points = {{2048, 1}, {512, 4}, {270, 1}};
    for (int[] pt : points) {
      sb.append(String.format(Locale.ROOT, "| %,d x %d", pt[0], pt[1]));
      String[][] cols = {
        {"ours", "fp32"},
        {"peer", "fp32"},
        {"ours", "tf32"},
        {"peer", "tf32"},
        {"ours", "fp16"},
        {"peer", "fp16"},
        {"peer", "bf16"}
      };
      for (String[] c : cols) {
        JsonNode r =
            c[0].equals("ours")
                ? step(b, "stage3", pt[0], pt[1], c[1])
                : peerRecord(peer, "stage3", null, pt[0], pt[1], c[1]);
        sb.append(
            r == null
                ? " | -"
                : String.format(
                    Locale.ROOT,
                    " | %,.0f (%.1f GB)",
                    r.path("tokens_per_s").asDouble(),
                    r.path("peak_bytes").asDouble() / 1e9));
      }
      sb.append(" |\n");
    }
    sb.append(
        "\n| decode, ms per token | ours fp32 | peer fp32 | ours fp16 | peer fp16 |\n"
            + "|---|---:|---:|---:|---:|\n");
    for (String model : new String[] {"linear", "teacher"}) {
      for (JsonNode pr : peer) {
        if (!pr.path("phase").asText().equals("decode")
            || !pr.path("model").asText().equals(model)
            || !pr.path("precision").asText().equals("fp32")) {
          continue;
        }
        long ctx = pr.path("context").asLong();
        sb.append(String.format(Locale.ROOT, "| %s at %s", model, k(ctx)));
        for (String prec : new String[] {"fp32", "fp16"}) {
          JsonNode ours = null;
          for (JsonNode r : b.path("results")) {
            if (r.path("phase").asText().equals("decode")
                && r.path("model").asText().equals(model)
                && r.path("context").asLong() == ctx
                && r.path("precision").asText().equals(prec)) {
              ours = r;
            }
          }
          JsonNode theirs = peerRecord(peer, "decode", model, ctx, 1, prec);
          sb.append(ours == null ? " | -" : fmt(" | %.1f", ours.path("latency_ms").asDouble()));
          sb.append(theirs == null ? " | -" : fmt(" | %.1f", theirs.path("latency_ms").asDouble()));
        }
        sb.append(" |\n");
      }
    }
    return sb.toString();
  }

  private static String fmt(String f, double v) {
    return String.format(Locale.ROOT, f, v);
  }

  private static JsonNode peerRecord(
      JsonNode peer, String phase, String model, long ctx, long batch, String precision) {
    for (JsonNode r : peer) {
      if (r.path("phase").asText().equals(phase)
          && (model == null || r.path("model").asText().equals(model))
          && r.path("context").asLong() == ctx
          && r.path("batch").asLong() == batch
          && r.path("precision").asText().equals(precision)
          && !r.has("error")) {
        return r;
      }
    }
    return null;
  }

  private static Map<String, JsonNode> decodeAt(JsonNode b, long ctx) {
    Map<String, JsonNode> at = new LinkedHashMap<>();
    for (JsonNode r : b.path("results")) {
      if (r.path("phase").asText().equals("decode") && r.path("context").asLong() == ctx) {
        at.put(r.path("model").asText(), r);
      }
    }
    for (String m : List.of("teacher", "linear", "hybrid")) {
      if (!at.containsKey(m)) {
        throw new IllegalStateException(
            "bench.json: no decode result of " + m + " at context " + ctx);
      }
    }
    return at;
  }

  private static long minContext(JsonNode b) {
    long min = Long.MAX_VALUE;
    for (JsonNode r : b.path("results")) {
      if (r.path("phase").asText().equals("decode")) {
        min = Math.min(min, r.path("context").asLong());
      }
    }
    return min;
  }

  /**
   * Min and max floor ratio of a phase (and model, or every model), each rounded to one decimal.
   */
  private static double[] floorRange(JsonNode b, String phase, String model) {
    double lo = Double.MAX_VALUE;
    double hi = 0;
    for (JsonNode r : b.path("results")) {
      if (r.path("phase").asText().equals(phase)
          && (model == null || r.path("model").asText().equals(model))
          && r.has("floor_ratio")) {
        lo = Math.min(lo, r.path("floor_ratio").asDouble());
        hi = Math.max(hi, r.path("floor_ratio").asDouble());
      }
    }
    return new double[] {Math.round(lo * 10) / 10.0, Math.round(hi * 10) / 10.0};
  }

  private static String k(long tokens) {
    return tokens % 1024 == 0 ? tokens / 1024 + "K" : String.valueOf(tokens);
  }

  private static String f3(JsonNode n) {
    if (n == null || !n.isNumber()) {
      throw new IllegalStateException("expected a number, got " + n);
    }
    return String.format(Locale.ROOT, "%.3f", n.asDouble());
  }

  /** Three significant figures, at most one decimal above 100. */
  private static String g3(double v) {
    if (v >= 100) {
      return String.valueOf(Math.round(v));
    }
    if (v >= 10) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    return String.format(Locale.ROOT, "%.2f", v);
  }

  private static String gib(long bytes) {
    return String.format(Locale.ROOT, "%.2f", bytes / (1024.0 * 1024 * 1024));
  }

  private static String pct(double ratio) {
    return Math.round(100 * ratio) + " %";
  }

  private static JsonNode read(Path f) {
    try {
      return JSON.readTree(f.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
    }
  }

  private static String readText(Path f) {
    try {
      return Files.readString(f, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
    }
  }

  /**
   * Regenerates the blocks ({@code --write}, the default) or only reports differences ({@code
   * --check}, exit 1).
   *
   * @param args {@code [--check|--write] [repository root]}
   */
  public static void main(String[] args) {
    boolean check = args.length > 0 && args[0].equals("--check");
    Path root = Path.of(args.length > 1 ? args[1] : ".");
    if (check) {
      int bad = 0;
      for (Block b : blocks(root)) {
        if (!committed(readText(root.resolve(b.file())), b.name()).equals(b.text())) {
          System.out.println(b.file() + ": block " + b.name() + " differs from the run outputs");
          bad++;
        }
      }
      System.exit(bad == 0 ? 0 : 1);
    }
    List<String> changed = regenerate(root);
    System.out.println(
        changed.isEmpty()
            ? "docs: every generated block is up to date"
            : "docs: rewrote " + changed);
  }
}
