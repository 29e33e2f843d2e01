package org.mmmamba.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.distill.data.ShapesConfig;
import org.mmmamba.distill.data.ShapesTask;

/**
 * The CI soak test of issue 12: {@value #STEPS_PER_STAGE} + {@value #STEPS_PER_STAGE} optimiser
 * steps (stages 1 and 2, batch 2) over a LLaVA-format file dataset that this test writes (1,500
 * samples, real 64-pixel PNG files, questions with 0-12 filler words, so every batch has its own
 * shape), through {@code scripts/mmmamba distill} as users run it: the launcher's default
 * allocator, heap and options; only the CLI's class path is given ({@code MMMAMBA_CLASSPATH}, the
 * jar does not exist yet when tests run) and the memory watchdog samples every 20 steps. It asserts
 * that the least-squares slope of the resident set over the second half (stage 2, steps
 * 1,001-2,000) is below {@value #MAX_SLOPE_MIB_PER_1000_STEPS} MiB per 1,000 steps.
 *
 * <p>The bound: a flat run measures within about +-20 MiB per 1,000 steps here (allocator noise,
 * the JIT, one large batch), while the paper's 3 x 20,000 steps need growth well under 2 GiB over
 * 20,000 steps on a 24 GiB machine, i.e. under 100 MiB per 1,000 steps. The old launcher default
 * (jemalloc with {@code dirty_decay_ms:-1,muzzy_decay_ms:-1}, decay off) fails it: run with {@code
 * MALLOC_CONF=dirty_decay_ms:-1,muzzy_decay_ms:-1} in the environment (the launcher keeps a
 * MALLOC_CONF it is given), this test measured the slope given in docs/robustness.md#memory, far
 * above the bound.
 *
 * <p>Takes a few minutes on 2 idle cores (it took over 20 minutes on the 2-core VM shared with four
 * other builds, hence the 60-minute limit); tagged slow ({@code -DexcludedGroups=slow} leaves it
 * out).
 */
@Tag("slow")
class LauncherSoakTest {
  static final int STEPS_PER_STAGE = 1000;
  static final double MAX_SLOPE_MIB_PER_1000_STEPS = 100;

  @TempDir Path tmp;

  @Test
  void residentMemoryIsFlatOverTwoThousandVariedShapeSteps() throws Exception {
    Path root = repoRoot();
    Path data = tmp.resolve("data");
    ShapesTask.writeDataset(data, new ShapesConfig(64, 2, 3, 0x202020), 5, 1500, 20, 12, false);
    Path out = tmp.resolve("run");
    String sched = "{type: wsd, warmup: 50, stable: " + (STEPS_PER_STAGE - 100) + ", decay: 50}";
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "bash",
                root.resolve("scripts/mmmamba").toString(),
                "distill",
                "--config",
                root.resolve("configs/quickstart.yaml").toString(),
                "--set",
                "run.out_dir=" + out,
                "--set",
                "teacher.path=" + root.resolve("models/shapes-teacher"),
                "--set",
                "data.train=" + data.resolve("train.json"),
                "--set",
                "data.test=" + data.resolve("test.json"),
                "--set",
                "data.batch_size=2",
                "--set",
                "students=[{name: linear, layout: linear}]",
                "--set",
                "stages.stage1.steps=" + STEPS_PER_STAGE,
                "--set",
                "stages.stage1.schedule=" + sched,
                "--set",
                "stages.stage2.steps=" + STEPS_PER_STAGE,
                "--set",
                "stages.stage2.schedule=" + sched,
                "--set",
                "stages.stage3.enabled=false",
                "--set",
                "eval.enabled=false",
                "--set",
                "checkpoint.every=500"));
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("log").toFile());
    pb.environment().put("MMMAMBA_CLASSPATH", classpath());
    pb.environment().put("MMMAMBA_THREADS", "1");
    pb.environment().put("MMMAMBA_MEMORY_EVERY", "20");
    pb.environment().put("MMMAMBA_HOME", root.toString());
    Process p = pb.start();
    boolean done = p.waitFor(60, TimeUnit.MINUTES);
    if (!done) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    String log = Files.readString(tmp.resolve("log"));
    String tail = log.substring(Math.max(0, log.length() - 3000));
    assertTrue(done, "soak run did not end in 60 minutes\n" + tail);
    assertEquals(0, p.exitValue(), tail);

    List<double[]> rss = new ArrayList<>(); // {global step, MiB}
    ObjectMapper json = new ObjectMapper();
    int offset = 0;
    for (String stage : List.of("stage1", "stage2")) {
      for (String line : Files.readAllLines(out.resolve(stage).resolve("train/metrics.jsonl"))) {
        JsonNode n = json.readTree(line);
        if (n.has("rss_bytes")) {
          rss.add(
              new double[] {
                offset + n.get("step").asLong(), n.get("rss_bytes").asLong() / 1048576.0
              });
        }
      }
      offset += STEPS_PER_STAGE;
    }
    assertEquals(2 * STEPS_PER_STAGE / 20, rss.size(), "RSS samples in metrics.jsonl");
    List<double[]> second = rss.stream().filter(x -> x[0] > STEPS_PER_STAGE).toList();
    double slope = 1000 * slope(second);
    String allocator =
        json.readTree(out.resolve("manifest.json").toFile())
            .path("system")
            .path("allocator")
            .asText();
    String summary =
        String.format(
            Locale.ROOT,
            "LauncherSoakTest (%s): %d steps, RSS %.0f -> %.0f MiB (at step %d:"
                + " %.0f MiB), second-half slope %.1f MiB per 1000 steps (bound %.0f)",
            allocator,
            2 * STEPS_PER_STAGE,
            rss.get(0)[1],
            rss.get(rss.size() - 1)[1],
            (long) second.get(0)[0],
            second.get(0)[1],
            slope,
            MAX_SLOPE_MIB_PER_1000_STEPS);
    System.out.println(summary);
    assertTrue(slope < MAX_SLOPE_MIB_PER_1000_STEPS, summary);
  }

  /** Least-squares slope of y over x. */
  static double slope(List<double[]> pts) {
    double mx = pts.stream().mapToDouble(p -> p[0]).average().orElseThrow();
    double my = pts.stream().mapToDouble(p -> p[1]).average().orElseThrow();
    double sxy = 0;
    double sxx = 0;
    for (double[] p : pts) {
      sxy += (p[0] - mx) * (p[1] - my);
      sxx += (p[0] - mx) * (p[0] - mx);
    }
    return sxy / sxx;
  }

  static Path repoRoot() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("scripts/mmmamba"))
          && Files.isDirectory(d.resolve("models/shapes-teacher"))) {
        return d;
      }
    }
    throw new IllegalStateException("no checkout root above " + Path.of("").toAbsolutePath());
  }

  static String classpath() {
    String cp = System.getProperty("surefire.test.class.path");
    return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
  }
}
