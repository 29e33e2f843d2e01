package org.mmmamba.app.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.mmmamba.core.Devices;
import org.mmmamba.core.io.AtomicText;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.RandomWeights;

/**
 * The efficiency benchmark (the paper's Figure 1(c)(d) and Table 2 at our scale): teacher, linear
 * and hybrid models of the same dimensions with random weights, measured for next-token decode
 * latency and memory against synthetic contexts, prefill latency at growing lengths, and the Table
 * 2 recipe, each next to its hardware floor measured in the same run. The CLI ({@code mmmamba
 * bench}) and notebooks call {@link #run} alike.
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
    DataType dtype = Devices.dtype(config.dtype());
    int previousThreads = Threads.apply(config.threads());
    try {
      return runWithThreads(config, outDir, log, dtype);
    } finally {
      Threads.restore(previousThreads);
    }
  }

  private static BenchReport runWithThreads(
      BenchConfig config, Path outDir, Consumer<String> log, DataType dtype) {
    Map<String, Object> machine = MachineInfo.collect(config.isolate());
    log.accept(
        "bench: "
            + machine.get("cpu_model")
            + ", "
            + machine.get("torch_threads")
            + " threads, allocator: "
            + machine.get("allocator")
            + (config.isolate() ? ", one JVM per point" : ", in-process"));
    List<BenchResult> results = new ArrayList<>();
    HardwareFloors start;
    HardwareFloors end;
    try (NDManager m = Devices.newManager("cpu")) {
      start = HardwareFloors.measure(config.floors(), config.model().dModel(), m, dtype);
      log.accept(
          String.format(
              "bench: floors: bandwidth %.1f GB/s (copy %.1f, read %.1f), matmul %.1f GFLOP/s",
              start.bandwidthGBps(), start.copyGBps(), start.readGBps(), start.matmulGflops()));
      for (BenchModel which : config.models()) {
        DecoderModel model =
            config.isolate()
                ? null
                : RandomWeights.model(BenchModels.config(config, which), m, dtype, config.seed());
        try {
          Map<Integer, List<BenchResult>> rounds = new TreeMap<>();
          for (Point p : points(config, which)) {
            BenchResult r =
                config.isolate()
                    ? BenchWorker.runIsolated(config, which, p.phase(), p.length(), outDir)
                    : Points.run(config, which, p.phase(), p.length(), model, m);
            if (p.phase() != Phase.DECODE || config.decode().rounds() == 1) {
              done(results, r, start, config, outDir, machine, log);
              continue;
            }
            List<BenchResult> got = rounds.computeIfAbsent(p.length(), k -> new ArrayList<>());
            got.add(r);
            line(
                r,
                start,
                config,
                log,
                " (round " + got.size() + " of " + config.decode().rounds() + ")");
            if (got.size() == config.decode().rounds()) {
              done(results, BenchResult.pooled(got), start, config, outDir, machine, log);
            }
          }
        } finally {
          if (model != null) {
            model.close();
          }
        }
      }
      end = HardwareFloors.measure(config.floors(), config.model().dModel(), m, dtype);
    }
    machine.put("load_avg_end", MachineInfo.loadAvg());
    HardwareFloors floors = start.best(end);
    List<BenchResult> withFloors = new ArrayList<>();
    for (BenchResult r : results) {
      withFloors.add(Floors.apply(r, config, floors));
    }
    BenchReport report = new BenchReport(machine, floors, start, end, config, withFloors);
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

  private static void done(
      List<BenchResult> results,
      BenchResult r,
      HardwareFloors floors,
      BenchConfig config,
      Path outDir,
      Map<String, Object> machine,
      Consumer<String> log) {
    results.add(r);
    line(
        r,
        floors,
        config,
        log,
        config.decode().rounds() > 1 && r.phase() == Phase.DECODE ? " (all rounds)" : "");
    BenchReport partial = new BenchReport(machine, floors, floors, floors, config, results);
    AtomicText.writeString(outDir.resolve(PARTIAL), BenchOutputs.json(partial));
  }

  private static void line(
      BenchResult r, HardwareFloors floors, BenchConfig config, Consumer<String> log, String note) {
    BenchResult f = Floors.apply(r, config, floors);
    log.accept(
        String.format(
            "bench: %-7s %-7s %7d: %10.2f ms [%.2f..%.2f] floor %.2f ms (x%.1f), peak RSS %s, "
                + "cache %s%s",
            r.model().id(),
            r.phase().id(),
            r.context(),
            r.latencyMs(),
            r.latencyMinMs(),
            r.latencyMaxMs(),
            f.floorMs(),
            f.floorRatio(),
            BenchOutputs.gib(r.peakBytes()),
            BenchOutputs.gib(r.cacheBytes()),
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
