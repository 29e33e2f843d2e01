package org.mmmamba.core.nn;

import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Supplier;

/**
 * Torch's grad mode (thread-local in libtorch) switched off around a computation that needs no
 * graph, such as a frozen teacher's forward inside a training step: its ops then record nothing (no
 * autograd metadata, no saved tensors), and {@link Fp32}'s casts take the plain one-op {@code to}
 * instead of their differentiable forms (three ops each). Results are bitwise those with grad mode
 * on; they do not require gradients either way when no input does.
 */
public final class GradMode {
  private GradMode() {}

  /** Runs {@code body} with grad mode off on this thread, then restores the previous mode. */
  public static <T> T off(Supplier<T> body) {
    boolean was = JniUtils.isGradMode();
    if (!was) {
      return body.get();
    }
    JniUtils.setGradMode(false);
    try {
      return body.get();
    } finally {
      JniUtils.setGradMode(true);
    }
  }
}
