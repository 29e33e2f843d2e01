package org.mmmamba.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;

/** Grad mode off around a computation: same values, no graph, the previous mode restored. */
class GradModeTest {
  static {
    Offline.init();
  }

  @Test
  void offRecordsNothingAndRestoresTheMode() {
    try (NDManager m = NDManager.newBaseManager()) {
      boolean before = JniUtils.isGradMode();
      try {
        NDArray w = m.create(new float[] {0.5f, -1.25f, 3f, 1e-3f}).toType(DataType.FLOAT16, false);
        w.setRequiresGradient(true);
        // float16 with float32 islands: off, the casts take their plain form; the values must not
        // change
        Supplier<NDArray> f =
            () -> {
              NDArray u = Fp32.up(w);
              return Fp32.up(Fp32.as(u.mul(u).add(u), w)).sum();
            };
        JniUtils.setGradMode(true);
        NDArray on = f.get();
        NDArray off =
            GradMode.off(
                () -> {
                  assertFalse(JniUtils.isGradMode());
                  return f.get();
                });
        assertTrue(JniUtils.isGradMode(), "restored");
        assertArrayEquals(on.toFloatArray(), off.toFloatArray(), 0f);
        assertThrows(EngineException.class, () -> backward(off), "off recorded a graph");
        backward(on); // on recorded one
        assertArrayEquals(
            new float[] {2f, -1.5f, 7f, 1.002f},
            w.getGradient().toType(DataType.FLOAT32, false).toFloatArray(),
            1e-3f);
        assertThrows(
            IllegalStateException.class,
            () ->
                GradMode.off(
                    () -> {
                      throw new IllegalStateException("boom");
                    }));
        assertTrue(JniUtils.isGradMode(), "restored after a throw");
        JniUtils.setGradMode(false);
        GradMode.off(() -> null);
        assertFalse(JniUtils.isGradMode(), "off stays off");
      } finally {
        JniUtils.setGradMode(before);
      }
    }
  }

  private static void backward(NDArray loss) {
    try (NDArray ones = loss.onesLike()) {
      JniUtils.backward((PtNDArray) loss, (PtNDArray) ones, false, false);
    }
  }
}
