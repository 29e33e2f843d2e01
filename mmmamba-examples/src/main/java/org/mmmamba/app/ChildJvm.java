package org.mmmamba.app;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a class's {@code main} in a fresh JVM like this one: the same java launcher, classpath,
 * heap, direct-memory and {@code -D} options, and environment (so the allocator preload and DJL's
 * offline switches carry over), with the child's output on this process's. Used where a run must
 * start from a fresh process: benchmark points (peak RSS not inflated by what earlier points freed
 * but the allocator kept) and ablation runs.
 */
public final class ChildJvm {
  private ChildJvm() {}

  /**
   * Runs {@code main} with {@code args} and waits for it.
   *
   * @param label names the work in the interruption error
   * @return the child's exit code
   * @throws IOException if the child cannot be started, or this thread is interrupted (the child is
   *     killed)
   */
  public static int run(Class<?> main, List<String> args, String label) throws IOException {
    return run(main, args, label, java.util.Map.of());
  }

  /**
   * As {@link #run(Class, List, String)}, with the environment changed by {@code env}: each entry
   * sets a variable, an empty value removes it (e.g. a variable a native library reads when it
   * loads, which the running JVM cannot change for itself).
   */
  public static int run(
      Class<?> main, List<String> args, String label, java.util.Map<String, String> env)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBinary());
    cmd.addAll(jvmOptions());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
    env.forEach(
        (k, v) -> {
          if (v.isEmpty()) {
            pb.environment().remove(k);
          } else {
            pb.environment().put(k, v);
          }
        });
    Process p = pb.start();
    try {
      return p.waitFor();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + label, e);
    }
  }

  /** The running JVM's java launcher. */
  static String javaBinary() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
  }

  /** Heap, direct-memory and system-property options of this JVM (no agents or debug flags). */
  static List<String> jvmOptions() {
    List<String> out = new ArrayList<>();
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("-Xmx")
          || a.startsWith("-Xms")
          || a.startsWith("-Xss")
          || a.startsWith("-XX:MaxDirectMemorySize")
          || a.startsWith("-D")) {
        out.add(a);
      }
    }
    return out;
  }
}
