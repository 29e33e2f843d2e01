package org.mmmamba.core;

/**
 * Forces DJL into offline mode before any DJL class is loaded.
 *
 * <p>DJL's {@code Engine} static initialiser probes the EC2 metadata address unless offline mode
 * and {@code OPT_OUT_TRACKING} are set. The libraries ({@code mmmamba-core}, {@code
 * mmmamba-distill}) do not call this from their classes: it is set once at each entry point. The
 * application's entry points do it first thing (the CLI's {@code main}, the notebook facade {@code
 * MmMamba}, the benchmark and ablation workers, the JMH benchmarks), and so must a library user:
 * call {@code Offline.init()} at the top of your {@code main} (or first cell of a notebook) before
 * any DJL class loads, or start the JVM with {@code -Dai.djl.offline=true -DOPT_OUT_TRACKING=true}
 * and {@code DJL_OFFLINE=true} in the environment.
 */
public final class Offline {
  private static volatile boolean done;

  private Offline() {}

  /**
   * DJL's cache directory: DJL_CACHE_DIR (system property or environment), else ~/.djl.ai, as DJL
   * resolves it.
   */
  public static java.nio.file.Path djlCacheDir() {
    String dir = System.getProperty("DJL_CACHE_DIR");
    if (dir == null || dir.isEmpty()) {
      dir = System.getenv("DJL_CACHE_DIR");
    }
    if (dir == null || dir.isEmpty()) {
      return java.nio.file.Path.of(System.getProperty("user.home"), ".djl.ai");
    }
    return java.nio.file.Path.of(dir);
  }

  /** Idempotent; cheap after the first call. */
  public static void init() {
    if (done) {
      return;
    }
    synchronized (Offline.class) {
      System.setProperty("ai.djl.offline", "true");
      System.setProperty("offline", "true");
      System.setProperty("OPT_OUT_TRACKING", "true");
      // Never let the engine pick up a hub or download path.
      if (System.getProperty("ai.djl.default_engine") == null) {
        System.setProperty("ai.djl.default_engine", "PyTorch");
      }
      // DJL's GPU probe loads JNA, which unpacks its native library into ~/.cache/JNA/temp: keep
      // that inside
      // DJL's cache directory, the one place besides a run's outputs that the library writes to.
      if (System.getProperty("jna.tmpdir") == null) {
        System.setProperty("jna.tmpdir", djlCacheDir().resolve("jna").toString());
      }
      done = true;
    }
  }
}
