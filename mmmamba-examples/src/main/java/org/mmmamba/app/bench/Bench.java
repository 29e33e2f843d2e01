package org.mmmamba.app.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.mmmamba.core.io.AtomicText;

/**
 * The efficiency benchmark (the paper's Figure 1(c)(d) and Table 2 at our scale): teacher, linear
 * and hybrid models of the same dimensions with random weights, measured for next-token decode
 * latency and memory against synthetic contexts, prefill latency at growing lengths, and the Table
 * 2 recipe, each next to its hardware floor measured in the same run. The CLI ({@code mmmamba
 * bench}) and notebooks call {@link #run} alike.
 *
 * <p>On a GPU ({@code device: gpu}) and per precision ({@code precision}: one pass each, see {@link
 * Pass}) it also times optimiser steps of the three distillation stages ({@link TrainingPoints}).
 * Every record carries its device and precision.
 *
 * <p>Outputs in the out dir, each written atomically: {@code bench.json}, {@code bench.csv}, {@code
 * bench.md}, {@code decode_latency.png}, {@code decode_memory.png}, {@code prefill_latency.png},
 * {@code prefill_memory.png}. While running, {@code bench.partial.json} holds the points done so
 * far.
 */
public final class Bench {
  private Bench() {}

  /** Runs the benchmark, printing one progress line per point to stderr. */
  public static BenchReport run(BenchConfig config, Path outDir) {
    return run(config, outDir, System.err::println);
  }

  /** Runs the benchmark, reporting progress to {@code log}. */
  public static BenchReport run(BenchConfig config, Path outDir, Consumer<String> log) {
    config.validate("bench config");
    try {
      Files.createDirectories(outDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + outDir, e);
    }
    int previousThreads = Threads.apply(config.threads());
    try {
      return runWithThreads(config, outDir, log);
    } finally {
      Threads.restore(previousThreads);
    }
  }

  private static BenchReport runWithThreads(BenchConfig config, Path outDir, Consumer<String> log) {
    Map<String, Object> machine = MachineInfo.collect(config.isolate(), config.device());
    log.accept(
        "bench: "
            + machine.get("cpu_model")
            + ", "
            + machine.get("torch_threads")
            + " threads, allocator: "
            + machine.get("allocator")
            + ", device "
            + config.device()
            + (machine.get("gpu") == null ? "" : " (" + machine.get("gpu") + ")")
            + ", precision "
            + config.precision()
            + (config.isolate() ? ", one JVM per point" : ", in-process"));
    List<BenchResult> results = new ArrayList<>();
    Map<String, HardwareFloors> floorsBy = new LinkedHashMap<>();
    Map<String, String> tf32Env = new LinkedHashMap<>();
    HardwareFloors firstStart = null;
    HardwareFloors firstEnd = null;
    for (BenchPrecision p : config.precisions()) {
      List<BenchResult> partial = new ArrayList<>(results);
      Pass.Result pr;
      if (p.runsHere()) {
        pr =
            Pass.run(
                config,
                p,
                outDir,
                log,
                r -> {
                  partial.add(r);
                  line(r, log, "");
                  writePartial(machine, r, config, outDir, partial);
                });
      } else {
        log.accept(
            "bench: "
                + p.key()
                + ": in a child JVM with "
                + org.mmmamba.distill.precision.Precision.TF32_ENV
                + (p.needsTf32Env() ? "=1" : " unset")
                + " (libtorch reads it when it loads)");
        pr = BenchWorker.runPass(config, p, outDir);
      }
      if (firstStart == null) {
        firstStart = pr.start();
        firstEnd = pr.end();
      }
      floorsBy.put(pr.precision(), pr.floors());
      tf32Env.put(pr.precision(), String.valueOf(pr.tf32Env()));
      machine.put("pass_tf32_env", new LinkedHashMap<>(tf32Env));
      for (BenchResult r : pr.results()) {
        results.add(Floors.apply(r, config, pr.floors()));
      }
      BenchReport soFar =
          new BenchReport(
              machine,
              floorsBy.values().iterator().next(),
              firstStart,
              firstEnd,
              config,
              results,
              floorsBy);
      AtomicText.writeString(outDir.resolve(PARTIAL), BenchOutputs.json(soFar));
    }
    machine.put("load_avg_end", MachineInfo.loadAvg());
    BenchReport report =
        new BenchReport(
            machine,
            floorsBy.get(config.precision().get(0)),
            firstStart,
            firstEnd,
            config,
            results,
            floorsBy);
    BenchOutputs.write(report, outDir);
    try {
      Files.deleteIfExists(outDir.resolve(PARTIAL));
    } catch (IOException e) {
      log.accept("bench: could not delete " + outDir.resolve(PARTIAL) + ": " + e.getMessage());
    }
    log.accept("bench: wrote " + outDir.resolve("bench.json") + ", bench.csv, bench.md and plots");
    return report;
  }

  static final String PARTIAL = "bench.partial.json";

  private static void writePartial(
      Map<String, Object> machine,
      BenchResult last,
      BenchConfig config,
      Path outDir,
      List<BenchResult> partial) {
    HardwareFloors none = null;
    BenchReport r =
        new BenchReport(machine, none, none, none, config, partial, new LinkedHashMap<>());
    AtomicText.writeString(outDir.resolve(PARTIAL), BenchOutputs.json(r));
  }

  /** One progress line of a result with its floor. */
  static void line(BenchResult f, Consumer<String> log, String note) {
    log.accept(
        String.format(
            "bench: %-7s %-7s %-4s %7d%s: %10.2f ms [%.2f..%.2f] floor %.2f ms (x%.1f), peak %s, "
                + "cache %s%s%s",
            f.model().id(),
            f.phase().id(),
            f.precision(),
            f.context(),
            f.batch() == null ? "" : "x" + f.batch(),
            f.latencyMs(),
            f.latencyMinMs(),
            f.latencyMaxMs(),
            f.floorMs(),
            f.floorRatio(),
            BenchOutputs.gib(f.peakBytes()),
            BenchOutputs.gib(f.cacheBytes()),
            f.tokensPerS() == null || !f.phase().training()
                ? ""
                : String.format(", %.0f tokens/s", f.tokensPerS()),
            note));
  }

  /**
   * The points of one model, in run order: decode contexts ({@code decode.rounds} passes,
   * alternately increasing and decreasing), prefill lengths, Table 2.
   */
  static List<Point> points(BenchConfig c, BenchModel which) {
    List<Point> out = new ArrayList<>();
    List<Integer> up = c.decode().contexts().stream().sorted().toList();
    for (int round = 0; round < c.decode().rounds(); round++) {
      List<Integer> order = new ArrayList<>(up);
      if (round % 2 == 1) {
        java.util.Collections.reverse(order);
      }
      order.forEach(l -> out.add(new Point(Phase.DECODE, l)));
    }
    c.prefillLengths(which).stream().sorted().forEach(l -> out.add(new Point(Phase.PREFILL, l)));
    out.add(new Point(Phase.TABLE2, c.table2().promptLength()));
    return out;
  }

  /** One point of a model. */
  record Point(Phase phase, int length) {}
}
