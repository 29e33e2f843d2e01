package org.mmmamba.app.bench;

import java.nio.file.Path;
import java.util.List;
import org.mmmamba.app.report.LinePlot;

/**
 * The benchmark's PNG figures, like the paper's Figure 1(c)(d): decode latency and memory against
 * context, and prefill latency and memory against prompt length, one line per model, drawn with the
 * project's {@link LinePlot}. Lengths are plotted in K tokens (1K = 1024) so the log axis reads 1,
 * 10, 100.
 */
final class BenchPlots {
  private BenchPlots() {}

  /** Writes the four PNGs into {@code dir}. */
  static void write(BenchReport all, Path dir) {
    BenchReport r = all.only(all.primaryPrecision());
    String dims = dimsLabel(r.config());
    String ctx = "context (K tokens, log scale)";
    String len = "prompt length (K tokens, log scale)";
    String mem = "cpu".equals(r.config().device()) ? "process RSS" : "GPU memory";
    chart(
            r,
            Phase.DECODE,
            false,
            "Next-token decode latency vs context (" + dims + ")",
            ctx,
            "latency per token (ms, log scale)",
            true)
        .writeIfPossible(dir.resolve("decode_latency.png"));
    chart(
            r,
            Phase.DECODE,
            true,
            "Decode peak memory (" + mem + ") vs context (" + dims + ")",
            ctx,
            "peak memory (GiB)",
            false)
        .writeIfPossible(dir.resolve("decode_memory.png"));
    chart(
            r,
            Phase.PREFILL,
            false,
            "Prefill latency vs prompt length (" + dims + ")",
            len,
            "prefill time (ms, log scale)",
            true)
        .writeIfPossible(dir.resolve("prefill_latency.png"));
    chart(
            r,
            Phase.PREFILL,
            true,
            "Prefill peak memory (" + mem + ") vs prompt length (" + dims + ")",
            len,
            "peak memory (GiB)",
            false)
        .writeIfPossible(dir.resolve("prefill_memory.png"));
  }

  private static LinePlot chart(
      BenchReport r, Phase phase, boolean memory, String title, String x, String y, boolean logY) {
    LinePlot.Builder b =
        LinePlot.builder().title(title).xLabel(x).yLabel(y).logX(true).logY(logY).size(900, 560);
    for (BenchModel m : BenchModel.values()) {
      List<BenchResult> s = r.series(m, phase);
      if (memory) {
        s = s.stream().filter(p -> p.peakBytes() > 0).toList();
      }
      if (s.isEmpty()) {
        continue;
      }
      double[] xs = new double[s.size()];
      double[] ys = new double[s.size()];
      for (int i = 0; i < xs.length; i++) {
        xs[i] = s.get(i).context() / 1024.0;
        ys[i] = memory ? s.get(i).peakBytes() / (double) (1L << 30) : s.get(i).latencyMs();
      }
      b.series(m.id(), xs, ys);
    }
    return b.build();
  }

  private static String dimsLabel(BenchConfig c) {
    BenchConfig.Dims d = c.model();
    return "D="
        + d.dModel()
        + ", "
        + d.layers()
        + " layers"
        + ("cpu".equals(c.device()) ? "" : ", " + c.device())
        + (c.precision().size() > 1 || !"fp32".equals(c.precision().get(0))
            ? ", "
                + (c.inferencePrecision().isEmpty() ? c.precision() : c.inferencePrecision()).get(0)
            : "");
  }
}
