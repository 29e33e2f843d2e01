package org.mmmamba.distill.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.config.VlmConfigs;
import org.mmmamba.core.model.RandomWeights;
import org.mmmamba.core.seed.Seeder;
import org.mmmamba.distill.TinyRuns;
import org.mmmamba.distill.stage.DistilTheNew;
import org.mmmamba.distill.stage.DistilTheWhole;
import org.mmmamba.distill.stage.TrainableSets;

/**
 * Native memory over a long run, in a child JVM with a fixed, pre-touched heap ({@link SoakMain}):
 * stage 1, stage 2, then stage 3 for two students of the same layout and one hybrid, {@value
 * #STEPS} steps each, a checkpoint every 10 steps, then evaluation. After every step the live
 * native array count and VmRSS are recorded. The count must be exactly flat within each stage;
 * change between stages by exactly what the next stage holds (stage 2: the moments of its extra
 * trainable tensors; the second stage-3 student: the first one's weights, kept for evaluation); and
 * return to its starting value when the run ends. Resident memory may grow by at most {@value
 * #RSS_BOUND_MIB} MiB after the first stage (docs/robustness.md records the measurements).
 */
@Tag("slow")
class NativeMemorySoakTest {
  static {
    Offline.init();
  }

  static final int STEPS = 40;
  static final long RSS_BOUND_MIB = 48;

  @TempDir Path tmp;

  @Test
  void liveArraysAreFlatPerStageAndReturnToTheStartingLevel() throws Exception {
    Path teacher = TinyRuns.teacher(tmp.resolve("teacher"));
    String sched = "schedule: {type: wsd, warmup: 4, stable: 32, decay: 4}";
    Path cfg =
        Files.writeString(
            tmp.resolve("soak.yaml"),
            String.join(
                "\n",
                "run: {name: soak, out_dir: " + tmp.resolve("out") + ", seed: 5, device: cpu}",
                "teacher: {path: " + teacher + "}",
                "data: {batch_size: 4, synthetic: {seed: 2, train: 64, test: 16}}",
                "init: {chunk_size: 4}",
                "students: [{name: a, layout: linear}, {name: b, layout: linear}, {name: h, layout: 'head-interleaved:1'}]",
                "stages:",
                "  stage1: {steps: " + STEPS + ", " + sched + "}",
                "  stage2: {steps: " + STEPS + ", " + sched + "}",
                "  stage3: {steps: " + STEPS + ", lr: 1.0e-3, " + sched + "}",
                "checkpoint: {every: 10, keep: 2}",
                "eval: {enabled: true, max_new_tokens: 2, limit: 8}",
                ""));
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms384m",
                "-Xmx384m",
                "-XX:+AlwaysPreTouch",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Dai.djl.pytorch.num_threads=1",
                "-cp",
                classpath(),
                SoakMain.class.getName(),
                cfg.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(tmp.resolve("err").toFile());
    pb.environment().put("OMP_NUM_THREADS", "1");
    Process p = pb.start();
    List<String> lines = new String(p.getInputStream().readAllBytes()).lines().toList();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), String.join("\n", lines));
    Map<String, List<long[]>> stages = new LinkedHashMap<>();
    long[] end = null;
    for (String l : lines) {
      String[] f = l.split(" ");
      if (f[0].equals("SOAK")) {
        stages
            .computeIfAbsent(f[1], k -> new ArrayList<>())
            .add(new long[] {Long.parseLong(f[3]), Long.parseLong(f[4])});
      } else if (f[0].equals("SOAK-END")) {
        end = new long[] {Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3])};
      }
    }
    StringBuilder report = new StringBuilder("NativeMemorySoakTest (heap 384 MiB pre-touched):\n");
    for (Map.Entry<String, List<long[]>> e : stages.entrySet()) {
      List<long[]> s = e.getValue();
      report.append(
          String.format(
              "  %-10s live arrays %d..%d over %d steps, VmRSS %d -> %d MiB%n",
              e.getKey(),
              s.stream().mapToLong(a -> a[0]).min().orElseThrow(),
              s.stream().mapToLong(a -> a[0]).max().orElseThrow(),
              s.size(),
              s.get(0)[1] / 1024,
              s.get(s.size() - 1)[1] / 1024));
    }
    report
        .append("  end: live arrays ")
        .append(end == null ? "?" : end[0] + " -> " + end[1])
        .append(", VmRSS ")
        .append(end == null ? "?" : end[2] / 1024)
        .append(" MiB");
    System.out.println(report);
    assertEquals(
        List.of("stage1", "stage2", "stage3:a", "stage3:b", "stage3:h"),
        new ArrayList<>(stages.keySet()));
    for (Map.Entry<String, List<long[]>> e : stages.entrySet()) {
      assertEquals(STEPS, e.getValue().size(), e.getKey());
      for (long[] a : e.getValue()) {
        assertEquals(
            e.getValue().get(0)[0],
            a[0],
            e.getKey() + ": live arrays changed within the stage\n" + report);
      }
    }
    DecoderConfig linear =
        Seeder.studentConfig(VlmConfigs.read(teacher).stack(), HybridLayout.linear(), 2, 4);
    int extraMoments =
        2
            * (TrainableSets.names(new DistilTheWhole(null).roles(), linear, null).size()
                - TrainableSets.names(new DistilTheNew(null).roles(), linear, null).size());
    assertEquals(
        extraMoments, level(stages, "stage2") - level(stages, "stage1"), "stage 1 -> 2\n" + report);
    assertEquals(
        RandomWeights.canonicalShapes(linear).size(),
        level(stages, "stage3:b") - level(stages, "stage3:a"),
        "student a -> b\n" + report);
    assertEquals(end[0], end[1], "arrays left alive by the run\n" + report);
    long base = stages.get("stage1").get(STEPS - 1)[1];
    long peak =
        stages.values().stream().flatMap(List::stream).mapToLong(a -> a[1]).max().orElseThrow();
    assertTrue(
        peak - base < RSS_BOUND_MIB * 1024,
        "VmRSS grew by " + (peak - base) / 1024 + " MiB\n" + report);
  }

  static long level(Map<String, List<long[]>> stages, String label) {
    return stages.get(label).get(0)[0];
  }

  static String classpath() {
    String cp = System.getProperty("surefire.test.class.path");
    return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
  }
}
