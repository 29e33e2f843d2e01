package org.mmmamba.app.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.mmmamba.core.Devices;
import org.mmmamba.core.model.DecoderModel;

/**
 * One precision pass of the benchmark in this JVM: the floors (matmul rate in the pass's dtype,
 * device memory bandwidth) at its start and end, then, when the pass infers, decode, prefill and
 * Table 2 for every model, then the training-step phases ({@link TrainingPoints}). Results come
 * back tagged with the device and precision, without floors ({@link Bench} applies the pass's).
 */
final class Pass {
  private Pass() {}

  /**
   * What one pass measured.
   *
   * @param precision the pass's precision
   * @param floors the better of its start and end floors
   * @param start floors at its start
   * @param end floors at its end
   * @param results its points, tagged, without floors
   */
  record Result(
      String precision,
      HardwareFloors floors,
      HardwareFloors start,
      HardwareFloors end,
      List<BenchResult> results,
      String tf32Env) {}

  /**
   * Runs the pass; {@code onResult} sees each finished point (with the start floors applied) as it
   * comes.
   */
  static Result run(
      BenchConfig config,
      BenchPrecision p,
      Path outDir,
      Consumer<String> log,
      Consumer<BenchResult> onResult) {
    DataType dtype = p.dtype(config.dtype());
    List<BenchResult> results = new ArrayList<>();
    HardwareFloors start;
    HardwareFloors end;
    try (NDManager m = Devices.newManager(config.device())) {
      start = HardwareFloors.measure(config.floors(), config.model().dModel(), m, dtype);
      log.accept(
          String.format(
              "bench: %s on %s: floors: bandwidth %.1f GB/s (copy %.1f, read %.1f), matmul %.1f "
                  + "GFLOP/s",
              p.key(),
              m.getDevice(),
              start.bandwidthGBps(),
              start.copyGBps(),
              start.readGBps(),
              start.matmulGflops()));
      Consumer<BenchResult> done =
          r -> {
            BenchResult t = r.tagged(config.device(), p.key());
            results.add(t);
            onResult.accept(Floors.apply(t, config, start));
          };
      if (config.infers(p)) {
        inference(config, p, dtype, m, outDir, log, start, done);
      }
      for (BenchResult r : TrainingPoints.run(config, p, m, log)) {
        done.accept(r);
      }
      end = HardwareFloors.measure(config.floors(), config.model().dModel(), m, dtype);
    } finally {
      // Hand libtorch's cached blocks back to the driver: a later pass may run in a child JVM,
      // which
      // would otherwise find the device full of this process's reservations (and count them).
      if (!"cpu".equals(config.device())) {
        ai.djl.pytorch.jni.JniUtils.emptyCudaCache();
      }
    }
    return new Result(
        p.key(),
        start.best(end),
        start,
        end,
        results,
        System.getenv(org.mmmamba.distill.precision.Precision.TF32_ENV));
  }

  private static void inference(
      BenchConfig config,
      BenchPrecision p,
      DataType dtype,
      NDManager m,
      Path outDir,
      Consumer<String> log,
      HardwareFloors floors,
      Consumer<BenchResult> done) {
    for (BenchModel which : config.models()) {
      DecoderModel model = config.isolate() ? null : BenchModels.build(config, which, m, dtype);
      try {
        Map<Integer, List<BenchResult>> rounds = new TreeMap<>();
        for (Bench.Point pt : Bench.points(config, which)) {
          BenchResult r =
              config.isolate()
                  ? BenchWorker.runIsolated(config, which, pt.phase(), pt.length(), p, outDir)
                  : Points.run(config, which, pt.phase(), pt.length(), model, m);
          if (pt.phase() != Phase.DECODE || config.decode().rounds() == 1) {
            done.accept(r);
            continue;
          }
          List<BenchResult> got = rounds.computeIfAbsent(pt.length(), k -> new ArrayList<>());
          got.add(r);
          Bench.line(
              Floors.apply(r.tagged(config.device(), p.key()), config, floors),
              log,
              " (round " + got.size() + " of " + config.decode().rounds() + ")");
          if (got.size() == config.decode().rounds()) {
            done.accept(BenchResult.pooled(got));
          }
        }
      } finally {
        if (model != null) {
          model.close();
        }
      }
    }
  }
}
