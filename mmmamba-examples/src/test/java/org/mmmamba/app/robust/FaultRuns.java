package org.mmmamba.app.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.mmmamba.core.io.CheckpointReader;
import org.mmmamba.core.io.TensorInfo;
import org.mmmamba.distill.checkpoint.TrainingCheckpoint;

/**
 * A tiny distillation for fault tests (12 steps per stage, one hybrid student, a checkpoint after
 * every step so that kills and a full disk meet checkpoint writes), one uninterrupted reference run
 * of it in a child JVM, and the checks shared by the kill and disk-full tests.
 */
final class FaultRuns {
  static final int STEPS_PER_STAGE = 12;
  static final int TOTAL_STEPS = 3 * STEPS_PER_STAGE;
  static final List<String> TRAIN_DIRS =
      List.of("stage1/train", "stage2/train", "students/hybrid/train");

  private static Path reference;

  private FaultRuns() {}

  static String yaml(Path teacher, Path out) {
    String sched = "schedule: {type: wsd, warmup: 2, stable: 8, decay: 2}";
    return String.join(
        "\n",
        "run: {name: faults, out_dir: " + out + ", seed: 5, device: cpu}",
        "teacher: {path: " + teacher + "}",
        "data: {batch_size: 4, synthetic: {seed: 2, train: 48, test: 8}}",
        "init: {chunk_size: 4}",
        "students: [{name: hybrid, layout: 'head-interleaved:1'}]",
        "stages:",
        "  stage1: {steps: " + STEPS_PER_STAGE + ", " + sched + "}",
        "  stage2: {steps: " + STEPS_PER_STAGE + ", " + sched + "}",
        "  stage3: {steps: " + STEPS_PER_STAGE + ", lr: 1.0e-3, " + sched + "}",
        "checkpoint: {every: 1, keep: 2}",
        "eval: {enabled: false}",
        "");
  }

  /** Writes {@code dir/cfg.yaml} for output {@code dir/out}; returns the config file. */
  static Path config(Path dir) {
    return Fx.write(dir.resolve("cfg.yaml"), yaml(Fx.teacher(), dir.resolve("out")));
  }

  /** The uninterrupted run (child JVM, once per test JVM); returns its output directory. */
  static synchronized Path reference() {
    if (reference == null) {
      Path dir = Fx.sharedRoot().resolve("fault-reference");
      Path cfg = config(dir);
      CliProcess.Result r =
          CliProcess.run(
              CliProcess.builder(
                  List.of(),
                  List.of(),
                  List.of("distill", "--config", cfg.toString()),
                  dir.resolve("log")),
              300);
      assertEquals(0, r.code(), r.toString());
      reference = dir.resolve("out");
    }
    return reference;
  }

  /** Optimiser steps recorded so far over all stages (complete metrics lines). */
  static int progress(Path out) {
    int n = 0;
    for (String d : TRAIN_DIRS) {
      Path m = out.resolve(d).resolve("metrics.jsonl");
      try {
        if (Files.exists(m)) {
          for (byte b : Files.readAllBytes(m)) {
            n += b == '\n' ? 1 : 0;
          }
        }
      } catch (IOException e) {
        // being replaced right now; count it next time
      }
    }
    return n;
  }

  /**
   * Every {@code ckpt-<step>} directory is complete and fully readable (state, every tensor of the
   * weights and the optimiser state), {@code latest} names one of them, and no temp files of a save
   * are left behind ({@code allowTemp}: a kill can leave them; the next save removes them).
   *
   * @return the number of checkpoints checked
   */
  static int assertCheckpointsLoadable(Path out, boolean allowTemp) throws IOException {
    int checked = 0;
    for (String d : TRAIN_DIRS) {
      Path dir = out.resolve(d);
      if (!Files.isDirectory(dir)) {
        continue;
      }
      List<Path> complete = TrainingCheckpoint.list(dir);
      try (Stream<Path> s = Files.list(dir)) {
        for (Path p : s.toList()) {
          String n = p.getFileName().toString();
          if (n.matches("ckpt-\\d+")) {
            assertTrue(complete.contains(p), "incomplete checkpoint directory " + p);
          } else if (n.startsWith(".")) {
            assertTrue(allowTemp, "temp file left behind: " + p);
          }
        }
      }
      for (Path c : complete) {
        TrainingCheckpoint.readState(c);
        readAll(c.resolve(TrainingCheckpoint.WEIGHTS));
        readAll(c.resolve(TrainingCheckpoint.OPTIMIZER));
        checked++;
      }
      Path latest = dir.resolve(TrainingCheckpoint.LATEST);
      if (Files.exists(latest)) {
        Path named = dir.resolve(Files.readString(latest).strip());
        assertTrue(
            complete.contains(named), "latest names " + named + ", not a complete checkpoint");
      }
    }
    return checked;
  }

  static void readAll(Path file) {
    try (CheckpointReader r = CheckpointReader.open(file)) {
      for (String n : r.names()) {
        TensorInfo t = r.info(n);
        if (t.dtype().isFloat()) {
          r.readFloats(n);
        } else {
          r.readLongs(n);
        }
      }
    }
  }

  /**
   * The final results of two runs are equal bit for bit: metrics losses, stage mixers, student
   * model.
   */
  static void assertSameResults(Path expected, Path actual) throws IOException {
    if (System.getProperty("robustness.debugDir") != null) { // keep both runs for inspection
      Path dbg = Path.of(System.getProperty("robustness.debugDir"));
      copyTree(expected, dbg.resolve("expected"));
      copyTree(actual, dbg.resolve("actual"));
    }
    for (String d : TRAIN_DIRS) {
      List<String> a = losses(expected.resolve(d));
      List<String> b = losses(actual.resolve(d));
      for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
        assertEquals(a.get(i), b.get(i), d + "/metrics.jsonl: first difference at line " + (i + 1));
      }
      assertEquals(a.size(), b.size(), d + "/metrics.jsonl lines");
    }
    List<String> diffs = new ArrayList<>();
    for (String f :
        List.of(
            "stage1/mixers.safetensors",
            "stage2/mixers.safetensors",
            "students/hybrid/model/model.safetensors")) {
      Map<String, float[]> a = floats(expected.resolve(f));
      Map<String, float[]> b = floats(actual.resolve(f));
      assertEquals(a.keySet(), b.keySet(), f);
      for (String n : a.keySet()) {
        if (!java.util.Arrays.equals(a.get(n), b.get(n))) {
          diffs.add(f + ": " + n);
        }
      }
    }
    assertTrue(diffs.isEmpty(), "tensors differ: " + diffs);
  }

  static Map<String, float[]> floats(Path f) {
    Map<String, float[]> out = new TreeMap<>();
    try (CheckpointReader r = CheckpointReader.open(f)) {
      for (String n : r.names()) {
        out.put(n, r.readFloats(n));
      }
    }
    return out;
  }

  /** "step:loss" of every metrics line (a resumed run must not repeat or lose steps). */
  static List<String> losses(Path trainDir) throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(trainDir.resolve("metrics.jsonl"))) {
      var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
      out.add(node.get("step").asText() + ":" + node.get("loss").asText());
    }
    return out;
  }

  static void copyTree(Path from, Path to) {
    try {
      Files.createDirectories(to);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Fx.copy(from, to);
  }
}
