package org.mmmamba.distill.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;

/**
 * Backward passes that several threads may run at once (one per device: data-parallel stage 3,
 * layer-parallel stages 1-2 in one process).
 *
 * <p>DJL's {@code GradientCollector} cannot do that: {@code PtGradientCollector} keeps a static
 * {@code isCollecting} flag, so a second collector anywhere in the JVM throws (DJL v0.36.0, {@code
 * engines/pytorch/.../PtGradientCollector.java}). What the collector does is two calls that are per
 * thread already: it turns torch's grad mode on (thread-local in libtorch, {@code
 * JniUtils.setGradMode}) and runs {@code JniUtils.backward(loss, ones_like(loss))}. {@link #open}
 * and {@link #run} make those two calls directly, so each thread records and back-propagates its
 * own graph; torch's autograd engine runs independent graphs from several threads (it is what
 * {@code torch.nn.parallel} and DDP do). Gradients accumulate into each parameter's {@code .grad}
 * exactly as with the collector (the same JNI call with the same seed gradient).
 *
 * <p>On an engine other than PyTorch the portable collector is used (one thread at a time).
 */
public final class Backward implements AutoCloseable {
  private final GradientCollector portable;
  private final boolean wasOn;

  private Backward(GradientCollector portable, boolean wasOn) {
    this.portable = portable;
    this.wasOn = wasOn;
  }

  /**
   * Turns gradient recording on for this thread until {@link #close} (which restores the previous
   * mode of this thread).
   */
  public static Backward open() {
    if ("PyTorch".equals(Engine.getInstance().getEngineName())) {
      boolean was = JniUtils.isGradMode();
      JniUtils.setGradMode(true);
      return new Backward(null, was);
    }
    return new Backward(Engine.getInstance().newGradientCollector(), false);
  }

  /**
   * Back-propagates {@code loss} (seed gradient ones), accumulating into the {@code .grad} of every
   * array that requires gradients; the graph is freed.
   */
  public void run(NDArray loss) {
    if (portable != null) {
      portable.backward(loss);
      return;
    }
    try (NDArray ones = loss.onesLike()) {
      JniUtils.backward((PtNDArray) loss, (PtNDArray) ones, false, false);
    }
  }

  @Override
  public void close() {
    if (portable != null) {
      portable.close();
      return;
    }
    JniUtils.setGradMode(wasOn);
  }
}
