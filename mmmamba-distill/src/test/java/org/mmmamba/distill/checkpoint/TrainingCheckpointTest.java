package org.mmmamba.distill.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Offline;
import org.mmmamba.distill.optim.AdamW;
import org.mmmamba.distill.optim.AdamWConfig;
import org.mmmamba.distill.optim.WeightDecay;

class TrainingCheckpointTest {
  static {
    Offline.init();
  }

  @TempDir Path run;

  @AfterEach
  void resetHook() {
    TrainingCheckpoint.hook = phase -> {};
  }

  /**
   * Weights of mixed dtypes, trainable = the first two, and an optimiser that has taken 3 steps.
   */
  static final class Model implements AutoCloseable {
    final NDManager m = NDManager.newBaseManager();
    final Map<String, NDArray> weights = new LinkedHashMap<>();
    final Map<String, NDArray> trainable = new LinkedHashMap<>();
    final AdamW opt;

    Model(long seed) {
      ai.djl.engine.Engine.getInstance().setRandomSeed((int) seed);
      weights.put("layers.0.mamba.W_x", m.randomNormal(new Shape(3, 4)));
      weights.put(
          "layers.0.mamba.dt_bias", m.randomNormal(new Shape(2)).toType(DataType.FLOAT64, false));
      weights.put("embed.weight", m.randomNormal(new Shape(5, 4)));
      trainable.put("layers.0.mamba.W_x", weights.get("layers.0.mamba.W_x"));
      trainable.put("layers.0.mamba.dt_bias", weights.get("layers.0.mamba.dt_bias"));
      opt = new AdamW(trainable, AdamWConfig.mmMamba(), WeightDecay.official());
      for (int s = 0; s < 3; s++) {
        Map<String, NDArray> g = new LinkedHashMap<>();
        trainable.forEach(
            (n, p) -> g.put(n, m.randomNormal(p.getShape()).toType(p.getDataType(), false)));
        opt.step(g, 1e-2);
      }
    }

    @Override
    public void close() {
      opt.close();
      m.close();
    }
  }

  static TrainingState state(long step) {
    return new TrainingState(
        step, 2, 4096, step + 1, Map.of("data", 7L, "init", -3L), Map.of("stage", "stage1"));
  }

  @Test
  void roundTripIsBitwise() {
    try (Model a = new Model(1);
        Model b = new Model(2)) {
      Path dir = TrainingCheckpoint.save(run, state(300), a.weights, a.opt, 3);
      assertEquals(run.resolve("ckpt-300"), dir);
      assertEquals("ckpt-300\n", read(run.resolve("latest")));
      TrainingState got = TrainingCheckpoint.restore(dir, b.weights, b.opt);
      assertEquals(state(300), got);
      for (String n : a.weights.keySet()) {
        assertTrue(a.weights.get(n).contentEquals(b.weights.get(n)), n);
      }
      for (String n : a.trainable.keySet()) {
        assertTrue(a.opt.m(n).contentEquals(b.opt.m(n)), n);
        assertTrue(a.opt.v(n).contentEquals(b.opt.v(n)), n);
        assertEquals(a.opt.updates(n), b.opt.updates(n));
      }
      assertEquals(3, b.opt.steps());
    }
  }

  @Test
  void crashWhileWritingTheSecondLeavesTheFirst() throws IOException {
    try (Model a = new Model(1);
        Model b = new Model(2)) {
      TrainingCheckpoint.save(run, state(100), a.weights, a.opt, 3);
      float[] w100 = a.weights.get("layers.0.mamba.W_x").toFloatArray();
      a.weights.get("layers.0.mamba.W_x").muli(2); // training moves on
      TrainingCheckpoint.hook =
          phase -> {
            if (phase.equals("optimizer")) {
              throw new IOException("disk on fire");
            }
          };
      assertThrows(
          UncheckedIOException.class,
          () -> TrainingCheckpoint.save(run, state(200), a.weights, a.opt, 3));
      assertEquals(List.of("ckpt-100", "latest"), listing(run), "no partial directory left");
      assertEquals("ckpt-100\n", read(run.resolve("latest")));
      assertEquals(Optional.of(run.resolve("ckpt-100")), TrainingCheckpoint.latest(run));
      TrainingCheckpoint.restore(run.resolve("ckpt-100"), b.weights, b.opt);
      assertArrayEquals(w100, b.weights.get("layers.0.mamba.W_x").toFloatArray(), 0f);
    }
  }

  @Test
  void aKilledSaveLeavesOnlyAHiddenTempDirectory() throws IOException {
    try (Model a = new Model(1)) {
      TrainingCheckpoint.save(run, state(100), a.weights, a.opt, 3);
      // what kill -9 in the middle of save(200) leaves: a temp dir with some files
      Path dead = Files.createDirectory(run.resolve(".ckpt-200.tmp-5eed"));
      Files.write(dead.resolve(TrainingCheckpoint.WEIGHTS), new byte[] {1, 2, 3});
      // and a stray directory under a final name without state.json (not something save makes)
      Files.createDirectory(run.resolve("ckpt-900"));
      assertEquals(Optional.of(run.resolve("ckpt-100")), TrainingCheckpoint.latest(run));
      TrainingCheckpoint.save(run, state(200), a.weights, a.opt, 3);
      assertEquals(Optional.of(run.resolve("ckpt-200")), TrainingCheckpoint.latest(run));
      assertFalse(Files.exists(dead), "the next save clears what the kill left");
    }
  }

  @Test
  void killAfterRenameBeforePointerStillFindsTheNewOne() {
    try (Model a = new Model(1)) {
      TrainingCheckpoint.save(run, state(100), a.weights, a.opt, 3);
      TrainingCheckpoint.hook =
          phase -> {
            if (phase.equals("renamed")) {
              throw new IOException("killed");
            }
          };
      assertThrows(
          UncheckedIOException.class,
          () -> TrainingCheckpoint.save(run, state(200), a.weights, a.opt, 3));
      assertEquals("ckpt-100\n", read(run.resolve("latest")));
      assertEquals(
          Optional.of(run.resolve("ckpt-200")),
          TrainingCheckpoint.latest(run),
          "complete, so used");
    }
  }

  @Test
  void aKillWhilePruningLeavesNoPartialCheckpoint() throws IOException {
    try (Model a = new Model(1)) {
      TrainingCheckpoint.save(run, state(10), a.weights, a.opt, 2);
      TrainingCheckpoint.save(run, state(20), a.weights, a.opt, 2);
      // killed in the middle of deleting ckpt-10: deleting in place could leave ckpt-10 without its
      // weights but
      // with state.json, which looks complete
      TrainingCheckpoint.hook =
          phase -> {
            if (phase.equals("discarded")) {
              throw new IOException("killed");
            }
          };
      assertThrows(
          UncheckedIOException.class,
          () -> TrainingCheckpoint.save(run, state(30), a.weights, a.opt, 2));
      List<String> names = listing(run);
      assertTrue(names.stream().noneMatch(n -> n.equals("ckpt-10")), names.toString());
      assertEquals(
          List.of(run.resolve("ckpt-20"), run.resolve("ckpt-30")), TrainingCheckpoint.list(run));
      TrainingCheckpoint.hook = phase -> {};
      TrainingCheckpoint.removeLeftovers(run); // what a resumed run does first
      assertEquals(
          List.of("ckpt-20", "ckpt-30", "latest"),
          listing(run),
          "a resumed run clears the hidden one");
    }
  }

  @Test
  void keepsTheLastNAndDropsAnAbandonedFuture() throws IOException {
    try (Model a = new Model(1)) {
      for (long s = 1; s <= 5; s++) {
        TrainingCheckpoint.save(run, state(s * 10), a.weights, null, 2);
      }
      assertEquals(List.of("ckpt-40", "ckpt-50", "latest"), listing(run));
      // resumed from ckpt-40 and saved step 45: ckpt-50 belongs to the abandoned run
      TrainingCheckpoint.save(run, state(45), a.weights, null, 2);
      assertEquals(List.of("ckpt-40", "ckpt-45", "latest"), listing(run));
      // saving a step again replaces it
      TrainingCheckpoint.save(run, state(45), a.weights, a.opt, 2);
      assertTrue(Files.exists(run.resolve("ckpt-45").resolve(TrainingCheckpoint.OPTIMIZER)));
      assertEquals(List.of("ckpt-40", "ckpt-45", "latest"), listing(run));
      assertEquals(
          List.of(run.resolve("ckpt-40"), run.resolve("ckpt-45")), TrainingCheckpoint.list(run));
    }
  }

  @Test
  void restoreRejectsMismatchesByName() throws IOException {
    try (Model a = new Model(1);
        NDManager m = NDManager.newBaseManager()) {
      Path dir = TrainingCheckpoint.save(run, state(1), a.weights, null, 3);
      Map<String, NDArray> missing = new LinkedHashMap<>(a.weights);
      missing.put("lm_head.weight", m.zeros(new Shape(5, 4)));
      assertMessage(
          () -> TrainingCheckpoint.restore(dir, missing, null), "missing tensor 'lm_head.weight'");
      Map<String, NDArray> extra = new LinkedHashMap<>(a.weights);
      extra.remove("embed.weight");
      assertMessage(
          () -> TrainingCheckpoint.restore(dir, extra, null), "unexpected tensor 'embed.weight'");
      Map<String, NDArray> shaped = new LinkedHashMap<>(a.weights);
      shaped.put("embed.weight", m.zeros(new Shape(4, 5)));
      assertMessage(
          () -> TrainingCheckpoint.restore(dir, shaped, null),
          "tensor 'embed.weight' has shape [5, 4]");
      assertMessage(() -> TrainingCheckpoint.restore(dir, a.weights, a.opt), "no optimiser state");
      Files.writeString(
          dir.resolve("state.json"), "{\"format\": \"mmmamba-training-state\", \"vers");
      assertMessage(
          () -> TrainingCheckpoint.restore(dir, a.weights, null), "state.json: not valid JSON");
      assertEquals(
          Optional.empty(), TrainingCheckpoint.latest(run), "a broken state.json is not complete");
      assertEquals(Optional.empty(), TrainingCheckpoint.latest(run.resolve("nope")));
    }
  }

  private static void assertMessage(org.junit.jupiter.api.function.Executable e, String part) {
    BadInputException ex = assertThrows(BadInputException.class, e);
    assertTrue(ex.getMessage().contains(part), ex.getMessage());
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> listing(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
