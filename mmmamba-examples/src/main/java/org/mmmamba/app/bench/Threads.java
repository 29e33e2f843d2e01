package org.mmmamba.app.bench;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Sets the engine's intra-op thread count for a benchmark run. On a small CPU shared with other
 * processes, one thread can be much faster than two: every parallel op waits at a barrier for a
 * thread the scheduler has parked (measured here: a 2 MB elementwise op 7 ms with 2 threads under
 * load, 0.5 ms with 1).
 */
final class Threads {
  private Threads() {}

  /** Sets {@code n} threads when n > 0; returns the previous count (0 when unchanged). */
  static int apply(int n) {
    if (n <= 0) {
      return 0;
    }
    Engine.getInstance(); // the native library must be loaded first
    int previous = JniUtils.getNumThreads();
    JniUtils.setNumThreads(n);
    return previous;
  }

  /** Restores a count returned by {@link #apply} (0: nothing to restore). */
  static void restore(int previous) {
    if (previous > 0) {
      JniUtils.setNumThreads(previous);
    }
  }
}
