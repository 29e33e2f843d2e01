package org.mmmamba.app.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.mmmamba.core.config.DecoderConfig;

/** bench.md: the machine, the floors, a short reading, and one table per phase. */
final class BenchMarkdown {
  private BenchMarkdown() {}

  static String render(BenchReport r) {
    StringBuilder sb = new StringBuilder();
    Map<String, Object> m = r.machine();
    BenchConfig c = r.config();
    BenchConfig.Dims d = c.model();
    HardwareFloors f = r.floors();
    sb.append("# Efficiency benchmark: teacher vs mmMamba students\n\n");
    sb.append("Machine: ")
        .append(BenchOutputs.str(m, "cpu_model"))
        .append(", ")
        .append(BenchOutputs.str(m, "cpus_available"))
        .append(" CPUs, ")
        .append(BenchOutputs.str(m, "torch_threads"))
        .append(" torch threads; allocator: ")
        .append(BenchOutputs.str(m, "allocator"))
        .append("; DJL ")
        .append(BenchOutputs.str(m, "djl_version"))
        .append(" / PyTorch ")
        .append(BenchOutputs.str(m, "pytorch_version"))
        .append(
            Boolean.TRUE.equals(m.get("mkl"))
                ? " (MKL, MKL_CBWR " + BenchOutputs.str(m, "mkl_cbwr") + ")"
                : "")
        .append("; Java ")
        .append(BenchOutputs.str(m, "java_version"))
        .append("; ")
        .append(BenchOutputs.str(m, "date"))
        .append(".\n");
    sb.append("Load average at start / end: ")
        .append(BenchOutputs.str(m, "load_avg_start"))
        .append(" / ")
        .append(BenchOutputs.str(m, "load_avg_end"))
        .append(
            " (other processes share the CPU: figures are noisy; "
                + "read medians and ratios). Points ran ")
        .append(
            Boolean.TRUE.equals(m.get("isolated_points")) ? "each in a fresh JVM" : "in one JVM")
        .append(".\n\n");
    sb.append(
        String.format(
            Locale.ROOT,
            "Models (random weights, %s): D=%d, %d layers, H=%d, G=%d, P=%d, F=%d, "
                + "V=%d; students: Mamba-2 with N=P=%d, chunk %d, conv %d; hybrid attention layers %s. Parameters: %s.\n\n",
            c.dtype(),
            d.dModel(),
            d.layers(),
            d.heads(),
            d.kvHeads(),
            d.headDim(),
            d.ffn(),
            d.vocab(),
            d.headDim(),
            d.chunkSize(),
            d.convKernel(),
            c.hybridAttentionLayers(),
            params(c)));
    sb.append(
        String.format(
            Locale.ROOT,
            "Floors, measured in this run (better of start and end): memory bandwidth "
                + "**%.1f GB/s** (%d MiB copy %.1f GB/s read+write, sum %.1f GB/s read; start %.1f, end %.1f), fp32 matmul "
                + "**%.1f GFLOP/s** (%d³, start %.1f, end %.1f), GEMV (1,%d)x(%d,%d) %.1f GFLOP/s. Decode floor = bytes a "
                + "step must read (weights, KV cache or SSM state) / bandwidth; prefill floor = FLOPs / matmul rate.\n\n",
            f.bandwidthGBps(),
            f.copyMb(),
            f.copyGBps(),
            f.readGBps(),
            r.floorsStart().bandwidthGBps(),
            r.floorsEnd().bandwidthGBps(),
            f.matmulGflops(),
            f.matmulN(),
            r.floorsStart().matmulGflops(),
            r.floorsEnd().matmulGflops(),
            f.gemvD(),
            f.gemvD(),
            4 * f.gemvD(),
            f.gemvGflops()));
    if (!"cpu".equals(c.device())) {
      sb.append("Device: ")
          .append(c.device())
          .append(" (")
          .append(BenchOutputs.str(m, "gpu"))
          .append("); peak memory = the device's used memory during the point (")
          .append(BenchOutputs.str(m, "gpu_memory_source"))
          .append(", sampled every ")
          .append(DeviceMemory.PERIOD_MS)
          .append(
              " ms after libtorch's cache was emptied: the process's whole footprint on the "
                  + "device, CUDA context and cached blocks included).\n\n");
    }
    if (r.floorsByPrecision().size() > 1
        || (r.floorsByPrecision().size() == 1 && !r.floorsByPrecision().containsKey("fp32"))) {
      sb.append("Floors per precision pass (better of the pass's start and end):\n\n");
      row(sb, List.of("precision", "matmul GFLOP/s", "matmul n", "bandwidth GB/s", "copy GB/s"));
      row(sb, List.of("---", "---:", "---:", "---:", "---:"));
      r.floorsByPrecision()
          .forEach(
              (p, x) ->
                  row(
                      sb,
                      List.of(
                          p,
                          fmt(x.matmulGflops(), 0),
                          Integer.toString(x.matmulN()),
                          fmt(x.bandwidthGBps(), 0),
                          fmt(x.copyGBps(), 0))));
      sb.append('\n');
    }
    List<String> inf = c.inferencePrecision();
    for (String p : inf) {
      BenchReport v = r.only(p);
      if (inf.size() > 1 || !"fp32".equals(p)) {
        sb.append("\n# Inference, ").append(p).append("\n\n");
      }
      reading(sb, v);
      decode(sb, v);
      prefill(sb, v);
      table2(sb, v);
    }
    training(sb, r);
    String out = sb.toString();
    if (!"cpu".equals(c.device())) {
      out =
          out.replace("Peak process memory (RSS)", "Peak GPU memory")
              .replace("Peak process RSS", "Peak GPU memory")
              .replace("peak RSS", "peak GPU memory");
    }
    return out;
  }

  private static String params(BenchConfig c) {
    List<String> out = new ArrayList<>();
    for (BenchModel bm : c.models()) {
      DecoderConfig dc = BenchModels.config(c, bm);
      out.add(String.format(Locale.ROOT, "%s %.1f M", bm.id(), Work.weightBytes(dc, 1) / 1e6));
    }
    return String.join(", ", out);
  }

  private static void reading(StringBuilder sb, BenchReport r) {
    BenchSummary s = r.summary();
    sb.append("## Reading\n\n");
    String ctx = tokens(s.context());
    if (s.linearDecodeSpread() != null) {
      sb.append(
          String.format(
              Locale.ROOT,
              "- Linear student decode latency over all contexts varies by %.0f%% "
                  + "(max vs min; flat means within 20%%).\n",
              100 * s.linearDecodeSpread()));
    }
    if (s.speedupLinear() != null) {
      sb.append(
          String.format(
              Locale.ROOT,
              "- At %s tokens the linear student decodes **%.1fx** faster than the "
                  + "teacher%s.\n",
              ctx,
              s.speedupLinear(),
              s.speedupHybrid() == null
                  ? ""
                  : String.format(Locale.ROOT, ", the hybrid %.1fx", s.speedupHybrid())));
    }
    if (s.peakReductionLinear() != null) {
      sb.append(
          String.format(
              Locale.ROOT,
              "- Peak process memory (RSS) at %s: linear **%.0f%%** below the "
                  + "teacher%s; engine-side bytes (weights + cache): linear %.0f%% below%s.\n",
              ctx,
              100 * s.peakReductionLinear(),
              s.peakReductionHybrid() == null
                  ? ""
                  : String.format(Locale.ROOT, ", hybrid %.0f%%", 100 * s.peakReductionHybrid()),
              100 * s.engineReductionLinear(),
              s.engineReductionHybrid() == null
                  ? ""
                  : String.format(
                      Locale.ROOT, ", hybrid %.0f%%", 100 * s.engineReductionHybrid())));
    }
    if (s.hybridBetweenLatency() != null) {
      sb.append("- The hybrid sits between linear and teacher at ")
          .append(ctx)
          .append(": latency ")
          .append(s.hybridBetweenLatency() ? "yes" : "no")
          .append(", memory ")
          .append(s.hybridBetweenMemory() ? "yes" : "no")
          .append(".\n");
    }
    for (Phase p : Phase.values()) {
      if (p.training()) {
        continue;
      }
      for (BenchModel bm : BenchModel.values()) {
        List<BenchResult> xs = r.series(bm, p);
        if (xs.isEmpty()) {
          continue;
        }
        BenchResult worst =
            xs.stream()
                .max(java.util.Comparator.comparingDouble(BenchResult::floorRatio))
                .orElseThrow();
        BenchResult best =
            xs.stream()
                .min(java.util.Comparator.comparingDouble(BenchResult::floorRatio))
                .orElseThrow();
        sb.append(
            String.format(
                Locale.ROOT,
                "- %s %s: %.1fx to %.1fx its floor (worst at %s).\n",
                bm.id(),
                p.id(),
                best.floorRatio(),
                worst.floorRatio(),
                tokens(worst.context())));
      }
    }
    sb.append('\n');
  }

  private static void decode(StringBuilder sb, BenchReport r) {
    TreeSet<Integer> ctxs = contexts(r, Phase.DECODE);
    if (ctxs.isEmpty()) {
      return;
    }
    List<BenchModel> ms = models(r, Phase.DECODE);
    sb.append(
        "## Decode: next-token latency\n\nMedian ms [min–max] per greedy step against a synthetic context "
            + "(random KV entries / SSM state), and the ratio to the floor.\n\n");
    header(sb, "context", ms, "ms [min–max]", "x floor");
    for (int ctx : ctxs) {
      sb.append("| ").append(tokens(ctx));
      for (BenchModel bm : ms) {
        Optional<BenchResult> x = r.find(bm, Phase.DECODE, ctx);
        sb.append(" | ").append(x.map(BenchMarkdown::latency).orElse("–"));
        sb.append(" | ")
            .append(
                x.map(v -> fmt(v.floorRatio(), 1) + " (" + sig(v.floorMs()) + " ms)").orElse("–"));
      }
      sb.append(" |\n");
    }
    sb.append(
        "\n## Decode: memory\n\nPeak process RSS during the point (GiB) and the engine-side cache "
            + "allocation (KV cache or Mamba-2 states, MiB).\n\n");
    header(sb, "context", ms, "peak RSS", "cache");
    for (int ctx : ctxs) {
      sb.append("| ").append(tokens(ctx));
      for (BenchModel bm : ms) {
        Optional<BenchResult> x = r.find(bm, Phase.DECODE, ctx);
        sb.append(" | ").append(x.map(v -> BenchOutputs.gib(v.peakBytes())).orElse("–"));
        sb.append(" | ").append(x.map(v -> mib(v.cacheBytes())).orElse("–"));
      }
      sb.append(" |\n");
    }
    sb.append('\n');
  }

  private static void prefill(StringBuilder sb, BenchReport r) {
    TreeSet<Integer> lens = contexts(r, Phase.PREFILL);
    if (lens.isEmpty()) {
      return;
    }
    List<BenchModel> ms = models(r, Phase.PREFILL);
    sb.append(
        "## Prefill\n\nMedian ms [min–max] to process the prompt and produce the first token (teacher: "
            + "exact query-blocked attention, no L×L matrix), ratio to the FLOP floor, and peak RSS.\n\n");
    List<String> cols = new ArrayList<>(List.of("length"));
    for (BenchModel bm : ms) {
      cols.add(bm.id() + " ms [min–max]");
      cols.add(bm.id() + " x floor");
      cols.add(bm.id() + " peak RSS");
    }
    row(sb, cols);
    row(sb, cols.stream().map(x -> "---").toList());
    for (int len : lens) {
      sb.append("| ").append(tokens(len));
      for (BenchModel bm : ms) {
        Optional<BenchResult> x = r.find(bm, Phase.PREFILL, len);
        sb.append(" | ").append(x.map(BenchMarkdown::latency).orElse("–"));
        sb.append(" | ").append(x.map(v -> fmt(v.floorRatio(), 1)).orElse("–"));
        sb.append(" | ").append(x.map(v -> BenchOutputs.gib(v.peakBytes())).orElse("–"));
      }
      sb.append(" |\n");
    }
    sb.append('\n');
  }

  private static void table2(StringBuilder sb, BenchReport r) {
    BenchConfig.Table2 t = r.config().table2();
    sb.append(
        String.format(
            Locale.ROOT,
            "## Table 2 recipe\n\nPrompt: %d synthetic image-token embeddings + %d "
                + "text tokens; then %d greedy tokens. Total = prefill + decode (median of %d).\n\n",
            t.imageTokens(),
            t.textTokens(),
            t.newTokens(),
            t.repeats()));
    row(
        sb,
        List.of("model", "total s", "tokens/s", "prefill ms", "decode ms", "x floor", "peak RSS"));
    row(sb, List.of("---", "---", "---", "---", "---", "---", "---"));
    for (BenchModel bm : BenchModel.values()) {
      for (BenchResult x : r.series(bm, Phase.TABLE2)) {
        row(
            sb,
            List.of(
                bm.id(),
                fmt(x.latencyMs() / 1e3, 2),
                fmt(x.tokensPerS(), 1),
                fmt(x.prefillMs(), 0),
                fmt(x.decodeMs(), 0),
                fmt(x.floorRatio(), 1),
                BenchOutputs.gib(x.peakBytes())));
      }
    }
    sb.append(
        "\nPaper (RTX 4090, 2.7B-class models): HoVLE 33.03 tokens/s (7.75 s), mmMamba-linear 132.43 (1.93 s), "
            + "mmMamba-hybrid 134.77 (1.90 s).\n");
  }

  private static void training(StringBuilder sb, BenchReport r) {
    List<BenchResult> xs =
        r.results().stream()
            .filter(x -> x.phase().training())
            .sorted(
                java.util.Comparator.comparing((BenchResult x) -> x.phase())
                    .thenComparing(x -> -x.context())
                    .thenComparing(x -> r.config().precision().indexOf(x.precision())))
            .toList();
    if (xs.isEmpty()) {
      return;
    }
    BenchConfig.Training t = r.config().training();
    sb.append(
        String.format(
            Locale.ROOT,
            "## Training steps\n\nOptimiser steps of the distillation stages (mmmamba-distill's "
                + "StageStep: the stage's trainable set, loss and AdamW as `mmmamba distill` builds them; "
                + "the distillation defaults' settings; fp16 = fp16-mixed) on the teacher and an "
                + "all-Mamba student of these dims, random token ids; %d untimed then %d timed steps "
                + "per point, median step time; tokens/s = tokens x batch / step time; x floor against "
                + "the pass's matmul rate (FLOPs: teacher forward + 3x the student's trained part).\n\n",
            t.warmup(),
            t.steps()));
    row(
        sb,
        List.of(
            "phase",
            "tokens x batch",
            "precision",
            "step ms [min–max]",
            "tokens/s",
            "x floor",
            "peak GB"));
    row(sb, List.of("---", "---", "---", "---:", "---:", "---:", "---:"));
    for (BenchResult x : xs) {
      row(
          sb,
          List.of(
              x.phase().id(),
              x.context() + " x " + x.batch(),
              String.valueOf(x.precision()),
              latency(x),
              fmt(x.tokensPerS(), 0),
              fmt(x.floorRatio(), 1),
              x.peakBytes() < 0 ? "n/a" : fmt(x.peakBytes() / 1e9, 1)));
    }
    sb.append('\n');
  }

  private static void header(
      StringBuilder sb, String first, List<BenchModel> ms, String a, String b) {
    List<String> cols = new ArrayList<>(List.of(first));
    for (BenchModel bm : ms) {
      cols.add(bm.id() + " " + a);
      cols.add(bm.id() + " " + b);
    }
    row(sb, cols);
    row(sb, cols.stream().map(x -> "---").toList());
  }

  private static void row(StringBuilder sb, List<String> cells) {
    sb.append("| ").append(String.join(" | ", cells)).append(" |\n");
  }

  private static TreeSet<Integer> contexts(BenchReport r, Phase p) {
    TreeSet<Integer> out = new TreeSet<>();
    r.results().stream().filter(x -> x.phase() == p).forEach(x -> out.add(x.context()));
    return out;
  }

  private static List<BenchModel> models(BenchReport r, Phase p) {
    return java.util.Arrays.stream(BenchModel.values())
        .filter(bm -> !r.series(bm, p).isEmpty())
        .toList();
  }

  private static String latency(BenchResult x) {
    return fmt(x.latencyMs(), x.latencyMs() < 100 ? 2 : 0)
        + " ["
        + fmt(x.latencyMinMs(), x.latencyMs() < 100 ? 2 : 0)
        + "–"
        + fmt(x.latencyMaxMs(), x.latencyMs() < 100 ? 2 : 0)
        + "]";
  }

  static String tokens(int n) {
    return n >= 1024 && n % 1024 == 0 ? (n / 1024) + "K" : Integer.toString(n);
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1 << 20));
  }

  /** Three significant digits. */
  private static String sig(double v) {
    return new java.math.BigDecimal(v)
        .round(new java.math.MathContext(3))
        .stripTrailingZeros()
        .toPlainString();
  }

  private static String fmt(Double v, int digits) {
    return v == null ? "–" : String.format(Locale.ROOT, "%." + digits + "f", v);
  }
}
