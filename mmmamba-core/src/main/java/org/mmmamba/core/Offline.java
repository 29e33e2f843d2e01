package org.mmmamba.core;

/**
 * Forces DJL into offline mode before any DJL class is loaded.
 *
 * <p>DJL's {@code Engine} static initialiser probes the EC2 metadata address unless offline mode and
 * {@code OPT_OUT_TRACKING} are set. Every public entry point of this library that may touch DJL calls
 * {@link #init()} first (model loaders, {@code Tensors}, the CLI), so a researcher using the library from
 * a notebook or their own {@code main} never sends traffic, whatever their environment says.
 */
public final class Offline {
  private static volatile boolean done;

  private Offline() {}

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
      done = true;
    }
  }
}
