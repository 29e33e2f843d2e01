package org.mmmamba.app.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.mmmamba.app.bench.Bench;
import org.mmmamba.app.bench.BenchConfig;
import org.mmmamba.app.bench.BenchReport;
import org.mmmamba.app.bench.BenchSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mmmamba bench}: the efficiency benchmark (Figure 1(c)(d) and Table 2 at our scale); see
 * {@link Bench}.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Decode latency and memory vs context, prefill vs length and the Table 2 recipe for teacher, "
            + "linear and hybrid models of one size (random weights), each next to its hardware floor. Writes "
            + "bench.json, bench.csv, bench.md and PNG plots.")
final class BenchCommand implements Callable<Integer> {
  @Option(
      names = "--config",
      defaultValue = "configs/bench/cpu.yaml",
      description = "Benchmark YAML (default ${DEFAULT-VALUE}).")
  Path config;

  @Option(names = "--out", required = true, description = "Output directory.")
  Path out;

  @Option(names = "--verbose", description = "Print stack traces on errors.")
  boolean verbose;

  @Override
  public Integer call() {
    BenchConfig c = BenchConfig.load(config);
    BenchReport r = Bench.run(c, out);
    BenchSummary s = r.summary();
    if (s.speedupLinear() != null) {
      System.out.printf(
          java.util.Locale.ROOT,
          "at %d tokens: linear %.1fx faster than teacher, peak RSS %.0f%% lower%n",
          s.context(),
          s.speedupLinear(),
          100 * s.peakReductionLinear());
    }
    System.out.println("wrote " + out.resolve("bench.md"));
    return 0;
  }
}
