package org.mmmamba.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.io.CheckpointReader;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.model.VlmIo;
import org.mmmamba.core.seed.InitStrategy;
import org.mmmamba.core.seed.Seeder;
import org.mmmamba.distill.stage.DistilTheNew;
import org.mmmamba.distill.stage.DistilTheWhole;
import org.mmmamba.distill.stage.EndToEnd;
import org.mmmamba.distill.stage.TrainableSets;

/**
 * The recipe end to end on a tiny teacher: each stage changes exactly its trainable set (bit for
 * bit), and an interrupted run resumed with --resume ends bitwise equal to an uninterrupted one.
 */
class DistillationTest {
  static {
    Offline.init();
  }

  @TempDir static Path tmp;
  static Path teacher;
  static Distillation.Result full;

  @BeforeAll
  static void runOnce() throws Exception {
    teacher = TinyRuns.teacher(tmp.resolve("t"));
    full =
        Distillation.run(
            TinyRuns.distill(teacher, tmp.resolve("full"), List.of()),
            Distillation.Options.defaults());
  }

  @Test
  void eachStageChangesExactlyItsTrainableSet() throws Exception {
    try (NDManager m = NDManager.newBaseManager();
        VisionLanguageModel t = VlmIo.load(teacher, m, DataType.FLOAT32);
        DecoderModel seeded =
            Seeder.seed(
                t.decoder().config(),
                t.decoder().weights(),
                HybridLayout.linear(),
                InitStrategy.INHERIT_MIMIC,
                5,
                2,
                4,
                m)) {
      Map<String, float[]> init = floats(seeded);
      Map<String, float[]> s1 = read(tmp.resolve("full/stage1/mixers.safetensors"));
      Map<String, float[]> s2 = read(tmp.resolve("full/stage2/mixers.safetensors"));
      List<String> stage1 =
          TrainableSets.names(new DistilTheNew(null).roles(), seeded.config(), null);
      List<String> stage2 =
          TrainableSets.names(new DistilTheWhole(null).roles(), seeded.config(), null);
      assertEquals(
          init.keySet().stream().filter(n -> n.contains(".mamba.")).toList().size(), s1.size());
      int changed1 = 0;
      for (String n : s1.keySet()) {
        boolean same = java.util.Arrays.equals(init.get(n), s1.get(n));
        if (!stage1.contains(n)) {
          assertTrue(same, "stage 1 changed frozen " + n);
        } else if (!same) {
          changed1++;
        }
      }
      assertTrue(
          changed1 > stage1.size() / 2,
          "stage 1 trained only " + changed1 + " of " + stage1.size());
      int changed2 = 0;
      for (String n : s2.keySet()) {
        boolean same = java.util.Arrays.equals(s1.get(n), s2.get(n));
        if (!stage2.contains(n)) {
          assertTrue(same, "stage 2 changed frozen " + n);
        } else if (!same) {
          changed2++;
        }
      }
      assertTrue(
          changed2 > stage2.size() / 2,
          "stage 2 trained only " + changed2 + " of " + stage2.size());
      // Stage 3 never touches frozen tensors: everything outside the stage-3 set equals the teacher
      // (non-mixer)
      // or the stage-2 result (dt_bias, A_log, W_O of Mamba layers).
      Map<String, float[]> teacherW = floats(t.decoder());
      for (String student : List.of("linear", "hybrid")) {
        try (VisionLanguageModel s =
            VlmIo.load(tmp.resolve("full/students/" + student + "/model"), m, DataType.FLOAT32)) {
          List<String> stage3 =
              TrainableSets.names(new EndToEnd(null).roles(), s.decoder().config(), null);
          Map<String, float[]> sw = floats(s.decoder());
          int changed3 = 0;
          for (String n : sw.keySet()) {
            float[] before = n.contains(".mamba.") ? s2.get(n) : teacherW.get(n);
            boolean same = java.util.Arrays.equals(before, sw.get(n));
            if (!stage3.contains(n)) {
              assertTrue(same, student + ": stage 3 changed frozen " + n);
            } else if (!same) {
              changed3++;
            }
          }
          assertTrue(changed3 > 0, student + ": stage 3 trained nothing");
          for (String n : s.visionWeights().names()) {
            assertArrayEquals(
                t.visionWeights().get(n).toFloatArray(),
                s.visionWeights().get(n).toFloatArray(),
                n);
          }
        }
      }
    }
  }

  @Test
  void resumedRunEqualsUninterrupted() throws Exception {
    Path out = tmp.resolve("resumed");
    // "Interrupted" after 2 of 4 stage-3 steps (the WSD schedule is explicit, so the learning rates
    // agree).
    Distillation.run(
        TinyRuns.distill(teacher, out, List.of("stages.stage3.steps=2", "eval.enabled=false")),
        Distillation.Options.defaults());
    Distillation.run(
        TinyRuns.distill(teacher, out, List.of("eval.enabled=false")),
        new Distillation.Options(true, null, List.of()));
    for (String student : List.of("linear", "hybrid")) {
      Map<String, float[]> a =
          read(tmp.resolve("full/students/" + student + "/model/model.safetensors"));
      Map<String, float[]> b =
          read(out.resolve("students/" + student + "/model/model.safetensors"));
      assertEquals(a.keySet(), b.keySet());
      for (String n : a.keySet()) {
        assertArrayEquals(a.get(n), b.get(n), student + " " + n);
      }
    }
    assertFalse(Files.exists(out.resolve("report.json")));
  }

  @Test
  void twoProcessesOnLayerSubsetsEqualOne() throws Exception {
    List<String> noStage3 = List.of("stages.stage3.enabled=false", "eval.enabled=false");
    Path a = tmp.resolve("partA");
    Path b = tmp.resolve("partB");
    Distillation.run(
        TinyRuns.distill(teacher, a, noStage3),
        new Distillation.Options(false, List.of(0, 1), List.of()));
    Distillation.run(
        TinyRuns.distill(teacher, b, noStage3),
        new Distillation.Options(false, List.of(2, 3), List.of()));
    Path merged = tmp.resolve("merged");
    Merge.run(merged, List.of(a, b));
    for (String stage : List.of("stage1", "stage2")) {
      Map<String, float[]> one = read(tmp.resolve("full/" + stage + "/mixers.safetensors"));
      Map<String, float[]> two = read(merged.resolve(stage + "/mixers.safetensors"));
      assertEquals(one.keySet(), two.keySet(), stage);
      for (String n : one.keySet()) {
        assertArrayEquals(one.get(n), two.get(n), stage + " " + n);
      }
    }
  }

  @Test
  void teacherCacheGivesTheSameStudent() throws Exception {
    // Same batch order in both stages with a cache, so compare two cached runs: a cold one and one
    // that only reads.
    Path cache = tmp.resolve("cache");
    List<String> sets =
        List.of("teacher.cache_dir=" + cache, "stages.stage3.enabled=false", "eval.enabled=false");
    Distillation.run(
        TinyRuns.distill(teacher, tmp.resolve("cold"), sets), Distillation.Options.defaults());
    long files = Files.list(cache).count();
    assertTrue(files > 0);
    Distillation.run(
        TinyRuns.distill(teacher, tmp.resolve("warm"), sets), Distillation.Options.defaults());
    assertEquals(files, Files.list(cache).count(), "the warm run computed new teacher signals");
    Map<String, float[]> a = read(tmp.resolve("cold/stage2/mixers.safetensors"));
    Map<String, float[]> b = read(tmp.resolve("warm/stage2/mixers.safetensors"));
    for (String n : a.keySet()) {
      assertArrayEquals(a.get(n), b.get(n), n);
    }
  }

  static Map<String, float[]> floats(DecoderModel d) {
    Map<String, float[]> out = new TreeMap<>();
    for (String n : d.weights().names()) {
      out.put(n, d.weights().get(n).toFloatArray());
    }
    return out;
  }

  static Map<String, float[]> read(Path f) {
    Map<String, float[]> out = new TreeMap<>();
    try (CheckpointReader r = CheckpointReader.open(f)) {
      for (String n : r.names()) {
        out.put(n, r.readFloats(n));
      }
    }
    return out;
  }
}
