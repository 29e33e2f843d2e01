package org.mmmamba.app.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.Offline;

/**
 * Runs the tiny configs/bench/smoke.yaml end to end and checks the outputs' structure (no timing
 * assertions).
 */
class BenchSmokeTest {
  static {
    Offline.init();
  }

  /** configs/ lives at the repository root; tests run in the module directory. */
  static Path repoFile(String rel) {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.exists(dir.resolve(rel))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException(rel + " not found above " + Path.of("").toAbsolutePath());
    }
    return dir.resolve(rel);
  }

  @Test
  void smokeRunWritesEveryOutput(@TempDir Path out) throws Exception {
    BenchConfig c = BenchConfig.load(repoFile("configs/bench/smoke.yaml"));
    BenchReport report = Bench.run(c, out, s -> {});

    for (String f :
        List.of(
            "bench.json",
            "bench.csv",
            "bench.md",
            "decode_latency.png",
            "decode_memory.png",
            "prefill_latency.png",
            "prefill_memory.png")) {
      assertTrue(Files.size(out.resolve(f)) > 0, f);
    }
    assertFalse(Files.exists(out.resolve(Bench.PARTIAL)), "partial file removed at the end");
    try (var s = Files.list(out)) {
      assertTrue(
          s.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no temp files left");
    }

    JsonNode root = new ObjectMapper().readTree(out.resolve("bench.json").toFile());
    assertTrue(root.get("machine").has("allocator"));
    assertTrue(root.get("machine").has("cpu_model"));
    for (String k : List.of("bandwidth_gbps", "matmul_gflops", "copy_gbps", "read_gbps")) {
      double v = root.get("floors").get(k).asDouble();
      assertTrue(Double.isFinite(v) && v > 0, k + " = " + v);
    }
    JsonNode results = root.get("results");
    Set<String> seen = new HashSet<>();
    for (JsonNode r : results) {
      String key =
          r.get("model").asText() + "/" + r.get("phase").asText() + "/" + r.get("context").asInt();
      seen.add(key);
      for (String k :
          List.of("latency_ms", "latency_min_ms", "latency_max_ms", "floor_ms", "floor_ratio")) {
        double v = r.get(k).asDouble();
        assertTrue(Double.isFinite(v) && v > 0, key + " " + k + " = " + v);
      }
      assertTrue(r.get("latency_min_ms").asDouble() <= r.get("latency_ms").asDouble());
      assertTrue(r.get("latency_ms").asDouble() <= r.get("latency_max_ms").asDouble());
      assertTrue(r.get("cache_bytes").asLong() > 0, key);
      assertTrue(r.get("weights_bytes").asLong() > 0, key);
      assertTrue(r.get("peak_bytes").asLong() > 0, key + " peak RSS (Linux /proc)");
      if (r.get("phase").asText().equals("decode")) {
        // smoke.yaml: 2 rounds of 1 timed step, pooled
        assertEquals(2, r.get("samples_ms").size(), key);
        assertEquals(2, r.get("repeats").asInt(), key);
      }
      if (r.get("phase").asText().equals("table2")) {
        assertTrue(r.get("tokens_per_s").asDouble() > 0, key);
        assertEquals(4, r.get("new_tokens").asInt());
      }
    }
    for (String m : List.of("teacher", "linear", "hybrid")) {
      for (int ctx : new int[] {16, 64}) {
        assertTrue(seen.contains(m + "/decode/" + ctx), m + " decode " + ctx);
        assertTrue(seen.contains(m + "/prefill/" + ctx), m + " prefill " + ctx);
      }
      assertTrue(seen.contains(m + "/table2/16"), m + " table2");
    }
    assertTrue(seen.contains("linear/prefill/128"), "student-only length");
    assertFalse(seen.contains("teacher/prefill/128"), "teacher skips student-only lengths");
    assertEquals(3 * 5 + 2, results.size());

    // The teacher's KV cache grows with context; the linear student's state does not.
    assertTrue(
        report.find(BenchModel.TEACHER, Phase.DECODE, 64).orElseThrow().cacheBytes()
            > report.find(BenchModel.TEACHER, Phase.DECODE, 16).orElseThrow().cacheBytes());
    assertEquals(
        report.find(BenchModel.LINEAR, Phase.DECODE, 64).orElseThrow().cacheBytes(),
        report.find(BenchModel.LINEAR, Phase.DECODE, 16).orElseThrow().cacheBytes());

    List<String> csv = Files.readAllLines(out.resolve("bench.csv"));
    assertEquals(results.size() + 1, csv.size());
    assertEquals(BenchOutputs.CSV_COLUMNS.size(), csv.get(1).split(",", -1).length);
    String md = Files.readString(out.resolve("bench.md"));
    for (String s :
        List.of("## Reading", "## Decode: next-token latency", "## Prefill", "## Table 2 recipe")) {
      assertTrue(md.contains(s), s);
    }
    BufferedImage img = ImageIO.read(out.resolve("decode_latency.png").toFile());
    assertTrue(img.getWidth() > 500 && img.getHeight() > 300);
  }

  @Test
  void isolatedPointRunsInAChildJvm(@TempDir Path out) {
    BenchConfig c = BenchConfig.load(repoFile("configs/bench/smoke.yaml"));
    BenchResult r =
        BenchWorker.runIsolated(c, BenchModel.HYBRID, Phase.DECODE, 64, BenchPrecision.FP32, out);
    assertEquals(BenchModel.HYBRID, r.model());
    assertEquals(64, r.context());
    assertTrue(r.latencyMs() > 0 && r.cacheBytes() > 0 && r.weightsBytes() > 0);
    assertEquals(
        List.of(r.latencyMs()), r.samplesMs(), "the child's step times come back with its result");
  }
}
