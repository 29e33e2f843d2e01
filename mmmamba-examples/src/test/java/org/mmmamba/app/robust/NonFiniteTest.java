package org.mmmamba.app.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.app.cli.Main;
import org.mmmamba.core.Offline;
import org.mmmamba.core.io.CheckpointReader;
import org.mmmamba.distill.checkpoint.TrainingCheckpoint;

/**
 * A non-finite loss, injected through the public config: stage 1 at lr = 1e30 (constant, no warmup)
 * applies one finite step that blows the weights up to ~1e30, so step 2's loss overflows. With
 * {@code on_non_finite: stop} the run ends with exit code 3 and one line, and the last good
 * checkpoint (step 1, finite) is kept; with {@code skip} the run goes on, records the skipped steps
 * in metrics.jsonl ({@code "applied": false}) and leaves the weights as they were before the bad
 * step.
 */
class NonFiniteTest {
  static {
    Offline.init();
  }

  @TempDir Path tmp;

  Path config(String policy) {
    return config(policy, 100);
  }

  Path config(String policy, int maxSkips) {
    Path out = tmp.resolve(policy + "-out");
    return Fx.write(
        tmp.resolve(policy + ".yaml"),
        String.join(
            "\n",
            "run: {name: nonfinite, out_dir: "
                + out
                + ", seed: 5, device: cpu, max_consecutive_skips: "
                + maxSkips
                + "}",
            "teacher: {path: " + Fx.teacher() + "}",
            "data: {batch_size: 4, synthetic: {seed: 2, train: 16, test: 8}}",
            "init: {chunk_size: 4}",
            "students: [{name: linear, layout: linear}]",
            "stages:",
            "  stage1: {steps: 4, lr: 1.0e30, schedule: {type: constant, warmup: 0}, on_non_finite: "
                + policy
                + "}",
            "  stage2: {steps: 0}",
            "  stage3: {steps: 0}",
            "checkpoint: {every: 1, keep: 10}",
            "eval: {enabled: false}",
            ""));
  }

  @Test
  void stopEndsWithExitCode3AndKeepsTheLastGoodCheckpoint() throws Exception {
    Path cfg = config("STOP"); // any case, as validate() accepts
    Fx.CliResult r = Fx.cli("distill", "--config", cfg.toString());
    assertEquals(Main.TRAINING_STOPPED, r.code(), r.err());
    assertEquals(1, r.errLines().size(), r.err());
    String line = r.errLines().get(0);
    assertTrue(
        line.matches(
            "mmmamba: training stopped: stage1: non-finite loss \\((NaN|Infinity)\\) at step 2; stopped, last good "
                + "checkpoint kept in .*/stage1/train"),
        line);
    Path train = tmp.resolve("STOP-out/stage1/train");
    List<Path> ckpts = TrainingCheckpoint.list(train);
    assertEquals(List.of(train.resolve("ckpt-1")), ckpts, "only the good step is checkpointed");
    assertFinite(ckpts.get(0).resolve(TrainingCheckpoint.WEIGHTS));
    assertFinite(ckpts.get(0).resolve(TrainingCheckpoint.OPTIMIZER));
    List<JsonNode> m = metrics(train);
    assertEquals(2, m.size());
    assertTrue(m.get(0).get("applied").asBoolean());
    assertFalse(m.get(1).get("applied").asBoolean(), "the bad step is recorded");
    assertFalse(
        Files.exists(tmp.resolve("STOP-out/stage1/mixers.safetensors")),
        "no stage result from a stop");
  }

  @Test
  void skipRecordsTheSkippedStepsAndKeepsTheWeights() throws Exception {
    Path cfg = config("skip");
    Fx.CliResult r = Fx.cli("distill", "--config", cfg.toString());
    assertEquals(0, r.code(), r.err());
    Path train = tmp.resolve("skip-out/stage1/train");
    List<JsonNode> m = metrics(train);
    assertEquals(4, m.size());
    assertTrue(m.get(0).get("applied").asBoolean());
    for (int i = 1; i < 4; i++) {
      assertFalse(m.get(i).get("applied").asBoolean(), "step " + (i + 1));
      assertFalse(Double.isFinite(m.get(i).get("loss").asDouble()), "step " + (i + 1) + " loss");
    }
    // Skipped steps change nothing: the weights of step 4 are those of step 1, and finite.
    assertEquals(
        DistillFloats.of(train.resolve("ckpt-1/weights.safetensors")),
        DistillFloats.of(train.resolve("ckpt-4/weights.safetensors")));
    assertFinite(train.resolve("ckpt-4/weights.safetensors"));
  }

  /**
   * Skipping is bounded: the limit of non-finite steps in a row stops the run with exit code 3,
   * never success.
   */
  @Test
  void consecutiveSkipLimitEndsWithExitCode3() throws Exception {
    Path cfg = config("skip", 2);
    Fx.CliResult r = Fx.cli("distill", "--config", cfg.toString());
    assertEquals(Main.TRAINING_STOPPED, r.code(), r.err());
    assertEquals(1, r.errLines().size(), r.err());
    String line = r.errLines().get(0);
    assertTrue(
        line.matches(
            "mmmamba: training stopped: stage1: non-finite loss \\((NaN|Infinity)\\) at step 3: 2 steps "
                + "in a row skipped \\(limit 2, run.max_consecutive_skips\\); stopped, last good checkpoint kept in .*/stage1/train"),
        line);
    assertEquals(3, metrics(tmp.resolve("skip-out/stage1/train")).size());
    assertFalse(
        Files.exists(tmp.resolve("skip-out/stage1/mixers.safetensors")),
        "no stage result from a stop");
  }

  static List<JsonNode> metrics(Path train) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String l : Files.readAllLines(train.resolve("metrics.jsonl"))) {
      out.add(new ObjectMapper().readTree(l));
    }
    return out;
  }

  static void assertFinite(Path file) {
    try (CheckpointReader r = CheckpointReader.open(file)) {
      for (String n : r.names()) {
        if (!r.info(n).dtype().isFloat()) {
          continue;
        }
        for (float v : r.readFloats(n)) {
          assertTrue(Float.isFinite(v), file + ": " + n + " holds " + v);
        }
      }
    }
  }

  /** Tensors of a file as lists, comparable with equals. */
  static final class DistillFloats {
    static java.util.Map<String, List<Float>> of(Path f) {
      java.util.Map<String, List<Float>> out = new java.util.TreeMap<>();
      FaultRuns.floats(f)
          .forEach(
              (n, v) -> {
                List<Float> l = new ArrayList<>(v.length);
                for (float x : v) {
                  l.add(x);
                }
                out.put(n, l);
              });
      return out;
    }
  }
}
