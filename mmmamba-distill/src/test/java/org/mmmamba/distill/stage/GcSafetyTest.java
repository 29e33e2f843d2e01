package org.mmmamba.distill.stage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.RandomWeights;
import org.mmmamba.core.seed.InitStrategy;
import org.mmmamba.core.seed.Seeder;
import org.mmmamba.distill.train.Gradients;

/**
 * The gradients of the stage losses do not depend on garbage collection: computed with and without
 * a GC (and a burst of direct-buffer allocations) between forward and backward, they are equal bit
 * for bit. Before {@link org.mmmamba.core.nn.Scalars}, DJL's {@code mul(Number)} scalars were freed
 * by the GC while autograd still needed them, and runs differed with heap size and timing (found by
 * the kill -9 resume test).
 */
class GcSafetyTest {
  static {
    Offline.init();
  }

  static final DecoderConfig TEACHER = DecoderConfig.llama(41, 32, 2, 4, 2, 8, 48);

  static void gcPressure() {
    System.gc();
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<ByteBuffer> junk = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      ByteBuffer b = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
      b.putDouble(0, 1e30);
      junk.add(b);
    }
  }

  /**
   * Gradients of {@code loss} w.r.t. {@code params}, with or without GC pressure before backward.
   */
  static Map<String, float[]> grads(
      Map<String, NDArray> params, Supplier<NDArray> loss, boolean gc) {
    Map<String, float[]> out = new LinkedHashMap<>();
    params.values().forEach(p -> p.setRequiresGradient(true));
    try (NDScope scope = new NDScope()) {
      try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
        NDArray l = loss.get();
        if (gc) {
          gcPressure();
        }
        c.backward(l);
      }
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        try (NDArray g = Gradients.of(e.getValue())) {
          out.put(e.getKey(), g == null ? new float[0] : g.toFloatArray());
        }
        Gradients.zero(e.getValue());
      }
    } finally {
      params.values().forEach(p -> p.setRequiresGradient(false));
    }
    return out;
  }

  static void assertSame(Map<String, float[]> a, Map<String, float[]> b) {
    for (String n : a.keySet()) {
      assertArrayEquals(a.get(n), b.get(n), n);
    }
  }

  static Map<String, NDArray> params(DecoderModel s, Stage stage) {
    Map<String, NDArray> p = new LinkedHashMap<>();
    for (String n : stage.trainableNames(s.config(), null)) {
      p.put(n, s.weights().get(n));
    }
    return p;
  }

  @Test
  void layerwiseAndEndToEndGradientsDoNotDependOnGc() {
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel teacher = RandomWeights.model(TEACHER, m, DataType.FLOAT32, 3);
        DecoderModel linear =
            Seeder.seed(
                TEACHER,
                teacher.weights(),
                HybridLayout.linear(),
                InitStrategy.INHERIT_MIMIC,
                5,
                2,
                4,
                m);
        DecoderModel hybrid =
            Seeder.seed(
                TEACHER,
                teacher.weights(),
                HybridLayout.parse("head-interleaved:1"),
                InitStrategy.INHERIT_MIMIC,
                5,
                2,
                4,
                m)) {
      long[][] ids = {{1, 5, 9, 40, 0, 3, 7, 11, 2}, {2, 2, 8, 13, 21, 34, 1, 6, 9}};
      NDArray embeds = teacher.embed(teacher.ids(m, ids));
      NDArray mask = m.ones(new Shape(2, 9), DataType.FLOAT32);
      NDArray next =
          teacher.ids(
              m, new long[][] {{5, 9, 40, 0, 3, 7, 11, 2, 1}, {2, 8, 13, 21, 34, 1, 6, 9, 2}});
      for (int rep = 0; rep < 3; rep++) {
        LayerwiseLoss lw = new LayerwiseLoss(teacher, linear, List.of(0, 1), 1000, false, 2);
        Map<String, NDArray> p2 = params(linear, new DistilTheWhole(null));
        assertSame(grads(p2, () -> lw.loss(embeds), false), grads(p2, () -> lw.loss(embeds), true));
        EndToEndLoss e2e = new EndToEndLoss(teacher, hybrid, 2.0, 0.5);
        Map<String, NDArray> p3 = params(hybrid, new EndToEnd(null));
        assertSame(
            grads(p3, () -> e2e.loss(embeds, mask, next), false),
            grads(p3, () -> e2e.loss(embeds, mask, next), true));
      }
    }
  }
}
