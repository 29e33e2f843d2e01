package org.mmmamba.app.robust;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code mmmamba} in a child JVM on the test classpath, the way the launcher would (DJL
 * offline, one intra-op thread so that runs are bitwise reproducible and do not fight the test JVM
 * for the cores).
 */
final class CliProcess {
  private CliProcess() {}

  /** The test classpath (surefire's, else this JVM's). */
  static String classpath() {
    String cp = System.getProperty("surefire.test.class.path");
    return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
  }

  /** The java command line for {@code mmmamba args}. */
  static List<String> command(List<String> jvmFlags, List<String> args) {
    List<String> c =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g",
                "-XX:MaxDirectMemorySize=1g",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Dai.djl.offline=true",
                "-DOPT_OUT_TRACKING=true",
                "-Dai.djl.pytorch.num_threads=1"));
    c.addAll(jvmFlags);
    c.addAll(List.of("-cp", classpath(), "org.mmmamba.app.cli.Main"));
    c.addAll(args);
    return c;
  }

  /**
   * A process builder for {@code prefix... java ... mmmamba args} with stdout and stderr into
   * {@code log} and {@code log}.err; {@code prefix} wraps the JVM (e.g. unshare).
   */
  static ProcessBuilder builder(
      List<String> prefix, List<String> jvmFlags, List<String> args, Path log) {
    List<String> c = new ArrayList<>(prefix);
    c.addAll(command(jvmFlags, args));
    ProcessBuilder pb = new ProcessBuilder(c);
    Map<String, String> env = pb.environment();
    env.put("OMP_NUM_THREADS", "1");
    env.put("DJL_OFFLINE", "true");
    env.put("OPT_OUT_TRACKING", "true");
    pb.redirectOutput(log.toFile());
    pb.redirectError(Path.of(log + ".err").toFile());
    return pb;
  }

  /** Exit code, stdout and stderr of a finished child. */
  record Result(int code, String out, String err) {
    /**
     * The lines the CLI itself printed about the failure ("mmmamba: ..."), logs and progress
     * excluded.
     */
    List<String> errorLines() {
      return err.lines().filter(l -> l.startsWith("mmmamba: ")).toList();
    }

    @Override
    public String toString() {
      return "exit " + code + "\nstdout:\n" + out + "\nstderr:\n" + err;
    }
  }

  /** Runs to completion (at most {@code timeoutSeconds}). */
  static Result run(ProcessBuilder pb, long timeoutSeconds) {
    try {
      Process p = pb.start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor();
        throw new AssertionError(
            "child did not finish in " + timeoutSeconds + " s: " + pb.command());
      }
      return result(pb, p.exitValue());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static Result result(ProcessBuilder pb, int code) {
    try {
      Path out = pb.redirectOutput().file().toPath();
      return new Result(code, Files.readString(out), Files.readString(Path.of(out + ".err")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
