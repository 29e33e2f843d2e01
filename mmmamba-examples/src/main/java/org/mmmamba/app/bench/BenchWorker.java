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
import org.mmmamba.core.model.RandomWeights;
import org.mmmamba.distill.recipe.YamlConfigs;

/**
 * Runs one benchmark point in a fresh JVM, so its peak RSS is not inflated by memory that earlier
 * points freed but the allocator kept (jemalloc with decay off never returns it). The parent passes
 * the config as JSON and reads the result back as JSON; the child inherits the parent's environment
 * (allocator) and heap options.
 *
 * <p>Usage (internal): {@code BenchWorker CONFIG.json MODEL PHASE LENGTH OUT.json}.
 */
public final class BenchWorker {
  static {
    Offline.init();
  }

  private BenchWorker() {}

  /** Child entry point. Exit code 0 on success, 1 on any failure (the message goes to stderr). */
  public static void main(String[] args) {
    try {
      if (args.length != 5) {
        throw new IllegalArgumentException(
            "usage: BenchWorker CONFIG.json MODEL PHASE LENGTH OUT.json");
      }
      BenchConfig c =
          YamlConfigs.completeJsonMapper().readValue(Path.of(args[0]).toFile(), BenchConfig.class);
      BenchResult r =
          runHere(c, BenchModel.parse(args[1]), Phase.parse(args[2]), Integer.parseInt(args[3]));
      AtomicText.writeString(Path.of(args[4]), BenchOutputs.mapper().writeValueAsString(r));
    } catch (Exception | Error e) {
      System.err.println("bench worker: " + e);
      e.printStackTrace();
      System.exit(1);
    }
    System.exit(0);
  }

  /** Builds the model and measures one point in this JVM. */
  static BenchResult runHere(BenchConfig c, BenchModel which, Phase phase, int length) {
    DataType dtype = Devices.dtype(c.dtype());
    Threads.apply(c.threads());
    try (NDManager m = Devices.newManager("cpu");
        DecoderModel model =
            RandomWeights.model(BenchModels.config(c, which), m, dtype, c.seed())) {
      return Points.run(c, which, phase, length, model, m);
    }
  }

  /** Runs the point in a child JVM with this JVM's classpath, heap options and environment. */
  static BenchResult runIsolated(
      BenchConfig c, BenchModel which, Phase phase, int length, Path outDir) {
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
                  cfg.toString(), which.id(), phase.id(), Integer.toString(length), out.toString()),
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

  private static void deleteTree(Path dir) {
    try (var s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // A leftover temp dir is harmless.
    }
  }
}
