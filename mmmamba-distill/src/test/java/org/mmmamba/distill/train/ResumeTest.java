package org.mmmamba.distill.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.Offline;
import org.mmmamba.distill.checkpoint.TrainingCheckpoint;
import org.mmmamba.distill.checkpoint.TrainingState;
import org.mmmamba.distill.train.GradientStepTest.Problem;

/**
 * The pieces together: train, checkpoint, throw everything away, restore into a freshly built model
 * and optimiser, continue; the weights equal an uninterrupted run's bit for bit. Batches come from
 * an RNG seeded by (seed, step), so a resumed run draws the same data without saving RNG internals.
 */
class ResumeTest {
  static {
    Offline.init();
  }

  static final long SEED = 21;
  static final int STEPS = 24;

  @TempDir Path run;

  @Test
  void resumedEqualsUninterrupted() {
    float[][] straight = train(0, STEPS, null);
    train(0, 10, run); // "killed" after the checkpoint at step 10
    Path ckpt = TrainingCheckpoint.latest(run).orElseThrow();
    assertEquals(run.resolve("ckpt-10"), ckpt);
    float[][] resumed = train(-1, STEPS, run);
    assertArrayEquals(straight[0], resumed[0], 0f);
    assertArrayEquals(straight[1], resumed[1], 0f);
  }

  /** Trains from {@code from} (-1: resume from the run's latest checkpoint) to {@code to}. */
  private static float[][] train(long from, int to, Path runDir) {
    try (Problem pb = new Problem(SEED, DataType.FLOAT32)) {
      GradientStep gs = pb.stepper(1.0);
      long step = from;
      if (from < 0) {
        TrainingState st =
            TrainingCheckpoint.restore(
                TrainingCheckpoint.latest(runDir).orElseThrow(), pb.trainable, gs.optimizer());
        step = st.step();
        gs.setPosition(st.schedulePosition());
        assertEquals(SEED, st.seeds().get("data"));
      }
      for (; step < to; step++) {
        Random data = new Random(SEED * 1_000_003L + step);
        gs.run(2, micro -> pb.loss(data, GradientStepTest.N / 2));
        if (runDir != null && (step + 1) % 5 == 0) {
          TrainingState st =
              new TrainingState(
                  step + 1,
                  0,
                  (step + 1) * GradientStepTest.N,
                  gs.position(),
                  Map.of("data", SEED),
                  Map.of());
          TrainingCheckpoint.save(runDir, st, pb.trainable, gs.optimizer(), 2);
        }
      }
      gs.optimizer().close();
      return new float[][] {
        pb.trainable.get("layers.0.W").toFloatArray(),
        pb.trainable.get("layers.0.b_O").toFloatArray()
      };
    }
  }
}
