package org.mmmamba.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Offline;

/**
 * Stage 3 data parallel through the whole recipe ({@code run.devices}) on the CPU, where N replicas
 * are N copies of teacher and student on the one CPU device ({@code cpu0, cpu1, ...}), each on its
 * own thread. Against the one-device run ({@code run.device: cpu}) of the same config: the stage-3
 * losses and the saved student agree to float rounding; a data-parallel run interrupted and resumed
 * ends bitwise equal to the uninterrupted data-parallel run; bad {@code run.devices} fail with one
 * line naming the key.
 */
class DataParallelDistillationTest {
  static {
    Offline.init();
  }

  @TempDir static Path tmp;
  static Path teacher;

  /** Stages 1-2 off (stage 3 starts from the seeded student), one student, 3 micro-batches. */
  static List<String> sets(String... more) {
    List<String> s =
        new ArrayList<>(
            List.of(
                "stages.stage1.enabled=false",
                "stages.stage2.enabled=false",
                "students=[{name: linear, layout: linear}]",
                "stages.stage3.grad_accum=3",
                "stages.stage3.batch_size=2",
                "eval.enabled=false"));
    s.addAll(List.of(more));
    return s;
  }

  @BeforeAll
  static void setUp() throws Exception {
    teacher = TinyRuns.teacher(tmp.resolve("teacher"));
  }

  private static Path run(String name, List<String> sets, boolean resume) throws Exception {
    Path out = tmp.resolve(name);
    Distillation.run(
        TinyRuns.distill(teacher, out, sets), new Distillation.Options(resume, null, List.of()));
    return out;
  }

  private static Map<String, float[]> student(Path out) throws Exception {
    return DistillationTest.read(out.resolve("students/linear/model/model.safetensors"));
  }

  private static List<Double> losses(Path out) throws Exception {
    List<Double> l = new ArrayList<>();
    for (String line : Files.readAllLines(out.resolve("students/linear/train/metrics.jsonl"))) {
      if (line.startsWith("{\"step\"")) {
        l.add(
            new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(line)
                .get("loss")
                .asDouble());
      }
    }
    return l;
  }

  @Test
  void twoAndThreeReplicasEqualOneDeviceAndResumeIsExact() throws Exception {
    Path one = run("one", sets(), false);
    Path two = run("two", sets("run.devices=[cpu0, cpu1]"), false);
    Path three = run("three", sets("run.devices=[cpu0, cpu1, cpu2]"), false);
    List<Double> l1 = losses(one);
    assertEquals(4, l1.size());
    for (Path p : List.of(two, three)) {
      List<Double> l = losses(p);
      assertEquals(l1.size(), l.size());
      for (int i = 0; i < l.size(); i++) {
        assertEquals(l1.get(i), l.get(i), 1e-5 * Math.abs(l1.get(i)), p + " loss at step " + i);
      }
      Map<String, float[]> a = student(one);
      Map<String, float[]> b = student(p);
      assertEquals(a.keySet(), b.keySet());
      for (String n : a.keySet()) {
        assertArrayEquals(a.get(n), b.get(n), 1e-5f, p + " " + n);
      }
      String metrics = Files.readString(p.resolve("students/linear/train/metrics.jsonl"));
      assertTrue(metrics.contains("\"event\":\"replicas\""), "replicas checked at checkpoints");
      assertTrue(
          Files.readString(p.resolve("manifest.json")).contains("cpu()"), "devices recorded");
    }
    // Interrupted after 2 of 4 stage-3 steps, then resumed: bitwise the uninterrupted run.
    run("resumed", sets("run.devices=[cpu0, cpu1]", "stages.stage3.steps=2"), false);
    Path resumed = run("resumed", sets("run.devices=[cpu0, cpu1]"), true);
    Map<String, float[]> a = student(two);
    Map<String, float[]> b = student(resumed);
    for (String n : a.keySet()) {
      assertArrayEquals(a.get(n), b.get(n), 0f, "resumed " + n);
    }
  }

  @Test
  void badDevicesFailWithTheKey() throws Exception {
    for (String bad :
        List.of(
            "run.devices=[cpu0, cpu0]",
            "run.devices=[tpu0]",
            "run.devices=[]",
            "run.devices=[all, gpu0]",
            "run.devices=[gpu9]",
            "run.devices=all",
            "run.devices=3")) {
      BadInputException e =
          assertThrows(BadInputException.class, () -> run("bad", sets(bad), false), bad);
      assertTrue(e.getMessage().contains("run.devices"), bad + ": " + e.getMessage());
      assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
      assertTrue(!Files.exists(tmp.resolve("bad/manifest.json")), "nothing written: " + bad);
    }
    BadInputException e =
        assertThrows(
            BadInputException.class,
            () -> run("bad", sets("run.devices=[cpu0, cpu1]", "run.device=gpu1"), false));
    assertTrue(e.getMessage().contains("disagrees with run.device"), e.getMessage());
  }
}
