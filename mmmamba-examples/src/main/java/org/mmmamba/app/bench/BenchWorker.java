package org.mmmamba.app.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.mmmamba.app.ChildJvm;
import org.mmmamba.core.Devices;
import org.mmmamba.core.Offline;
import org.mmmamba.core.io.AtomicText;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.distill.recipe.YamlConfigs;

/**
 * Runs one benchmark point in a fresh JVM, so its peak RSS is not inflated by memory that earlier
 * points freed but the allocator kept (jemalloc with decay off never returns it). The parent passes
 * the config as JSON and reads the result back as JSON; the child inherits the parent's environment
 * (allocator) and heap options.
 *
 * <p>It also runs a whole precision pass ({@link Pass}) whose {@code
 * TORCH_ALLOW_TF32_CUBLAS_OVERRIDE} setting differs from the parent's: libtorch reads that variable
 * when it loads, so only a new process can change it. The child is the same java binary and jar (or
 * classpath) with the parent's heap and {@code -D} options and environment, that one variable set
 * or removed.
 *
 * <p>Usage (internal): {@code BenchWorker CONFIG.json MODEL PHASE LENGTH OUT.json PRECISION} (one
 * point) or {@code BenchWorker --pass CONFIG.json PRECISION OUT.json} (one pass).
 */
public final class BenchWorker {
  static {
    Offline.init();
  }

  private BenchWorker() {}

  /** Child entry point. Exit code 0 on success, 1 on any failure (the message goes to stderr). */
  public static void main(String[] args) {
    try {
      if (args.length == 4 && args[0].equals("--pass")) {
        BenchConfig c =
            YamlConfigs.completeJsonMapper()
                .readValue(Path.of(args[1]).toFile(), BenchConfig.class);
        Pass.Result r =
            Pass.run(
                c,
                BenchPrecision.parse(args[2]),
                Path.of(args[3]).getParent(),
                System.err::println,
                x -> Bench.line(x, System.err::println, ""));
        AtomicText.writeString(Path.of(args[3]), BenchOutputs.mapper().writeValueAsString(r));
        System.exit(0);
      }
      if (args.length != 6) {
        throw new IllegalArgumentException(
            "usage: BenchWorker CONFIG.json MODEL PHASE LENGTH OUT.json PRECISION");
      }
      BenchConfig c =
          YamlConfigs.completeJsonMapper().readValue(Path.of(args[0]).toFile(), BenchConfig.class);
      BenchResult r =
          runHere(
              c,
              BenchModel.parse(args[1]),
              Phase.parse(args[2]),
              Integer.parseInt(args[3]),
              BenchPrecision.parse(args[5]));
      AtomicText.writeString(Path.of(args[4]), BenchOutputs.mapper().writeValueAsString(r));
    } catch (Exception | Error e) {
      System.err.println("bench worker: " + e);
      e.printStackTrace();
      System.exit(1);
    }
    System.exit(0);
  }

  /** Builds the model and measures one point in this JVM. */
  static BenchResult runHere(
      BenchConfig c, BenchModel which, Phase phase, int length, BenchPrecision p) {
    DataType dtype = p.dtype(c.dtype());
    Threads.apply(c.threads());
    try (NDManager m = Devices.newManager(c.device());
        DecoderModel model = BenchModels.build(c, which, m, dtype)) {
      return Points.run(c, which, phase, length, model, m);
    }
  }

  /** Runs the point in a child JVM with this JVM's classpath, heap options and environment. */
  static BenchResult runIsolated(
      BenchConfig c, BenchModel which, Phase phase, int length, BenchPrecision p, Path outDir) {
    Path tmp = null;
    try {
      tmp = Files.createTempDirectory(outDir.toAbsolutePath(), ".bench-worker");
      Path cfg = tmp.resolve("config.json");
      Path out = tmp.resolve("result.json");
      Files.writeString(cfg, YamlConfigs.completeJsonMapper().writeValueAsString(c));
      String label = which.id() + " " + phase.id() + " " + length;
      int rc =
          ChildJvm.run(
              BenchWorker.class,
              List.of(
                  cfg.toString(),
                  which.id(),
                  phase.id(),
                  Integer.toString(length),
                  out.toString(),
                  p.key()),
              label);
      if (rc != 0 || !Files.exists(out)) {
        throw new IllegalStateException(
            "bench worker for "
                + which.id()
                + " "
                + phase.id()
                + " "
                + length
                + " failed (exit "
                + rc
                + "); see its messages above");
      }
      return BenchOutputs.mapper().readValue(out.toFile(), BenchResult.class);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(
          "bench worker I/O for " + which.id() + " " + phase.id() + " " + length, e);
    } finally {
      if (tmp != null) {
        deleteTree(tmp);
      }
    }
  }

  /**
   * Runs precision pass {@code p} in a child JVM whose environment has {@code
   * TORCH_ALLOW_TF32_CUBLAS_OVERRIDE} set to 1 (tf32) or removed (fp32, fp16).
   */
  static Pass.Result runPass(BenchConfig c, BenchPrecision p, Path outDir) {
    Path tmp = null;
    try {
      tmp = Files.createTempDirectory(outDir.toAbsolutePath(), ".bench-pass");
      Path cfg = tmp.resolve("config.json");
      Path out = tmp.resolve("pass.json");
      Files.writeString(cfg, YamlConfigs.completeJsonMapper().writeValueAsString(c));
      int rc =
          ChildJvm.run(
              BenchWorker.class,
              List.of("--pass", cfg.toString(), p.key(), out.toString()),
              "bench pass " + p.key(),
              java.util.Map.of(
                  org.mmmamba.distill.precision.Precision.TF32_ENV, p.needsTf32Env() ? "1" : ""));
      if (rc != 0 || !Files.exists(out)) {
        throw new IllegalStateException(
            "bench pass " + p.key() + " failed (exit " + rc + "); see its messages above");
      }
      return BenchOutputs.mapper().readValue(out.toFile(), Pass.Result.class);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("bench pass I/O for " + p.key(), e);
    } finally {
      if (tmp != null) {
        deleteTree(tmp);
      }
    }
  }

  private static void deleteTree(Path dir) {
    try (var s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // A leftover temp dir is harmless.
    }
  }
}
