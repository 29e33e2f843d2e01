package org.mmmamba.app.ablate;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.mmmamba.app.ChildJvm;
import org.mmmamba.app.report.Reports;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Offline;
import org.mmmamba.distill.Distillation;
import org.mmmamba.distill.recipe.Recipes;

/**
 * Runs one planned distillation in a child JVM, so that every run starts from a fresh process:
 * native memory is returned to the OS between runs (the launcher's jemalloc keeps freed pages with
 * decay off, about 0.4 GB more per run when 36 runs share one JVM) and a crash ends only its own
 * run. The child is this class's {@link #main}: the base YAML, the resume flag and the overrides on
 * its command line; it writes the ordinary run directory (eval.json, report.md, ...), which the
 * parent then reads.
 */
final class RunWorker {
  static {
    Offline.init();
  }

  private RunWorker() {}

  /**
   * Child entry point: {@code BASE_YAML RESUME(true|false) OVERRIDE...}; exit 0 ok, 2 bad input, 1
   * error.
   */
  public static void main(String[] args) {
    int rc = 0;
    try {
      List<String> overrides = Arrays.asList(args).subList(2, args.length);
      boolean resume = Boolean.parseBoolean(args[1]);
      List<String> cmd = new ArrayList<>(List.of("ablate-worker", args[0]));
      cmd.addAll(overrides);
      Distillation.Result r =
          Distillation.run(
              Recipes.load(Path.of(args[0]), overrides),
              new Distillation.Options(resume, null, cmd));
      Reports.write(r);
    } catch (BadInputException e) {
      System.err.println("mmmamba: error: " + e.getMessage());
      rc = 2;
    } catch (Exception | Error e) {
      e.printStackTrace();
      rc = 1;
    }
    // Engine threads may be non-daemon: leave explicitly.
    System.exit(rc);
  }

  /**
   * Runs {@code base} with {@code overrides} in a child JVM (this JVM's java, classpath, heap and
   * -D options).
   */
  static void runIsolated(Path base, List<String> overrides, boolean resume, String label)
      throws IOException {
    List<String> args =
        new ArrayList<>(List.of(base.toAbsolutePath().toString(), Boolean.toString(resume)));
    args.addAll(overrides);
    int rc = ChildJvm.run(RunWorker.class, args, label);
    if (rc == 2) {
      throw new BadInputException(label + ": the run's config was rejected (see the error above)");
    }
    if (rc != 0) {
      throw new IllegalStateException(
          label + ": the run failed in its child JVM (exit " + rc + "); see above");
    }
  }
}
