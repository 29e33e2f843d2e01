package org.mmmamba.app.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.HybridLayout;

/**
 * The GPU bench's shape on the CPU: configs/bench/gpu-smoke.yaml (the twin of
 * configs/bench/h200.yaml at a tiny size) end to end, checking what the outputs must hold, never
 * timings: one pass per precision (tf32 in a child JVM that had TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1,
 * the others without it), training-step records for every stage, point and precision with tokens/s
 * = context x batch / step time, inference records only for the inference precisions, every record
 * with device, precision and a floor recomputed from its own pass's floors, and the CPU record
 * shape kept.
 */
class BenchGpuSmokeTest {
  static {
    Offline.init();
  }

  @Test
  void everyPhaseAndPrecisionEndToEnd(@TempDir Path out) throws Exception {
    BenchConfig c = BenchConfig.load(BenchSmokeTest.repoFile("configs/bench/gpu-smoke.yaml"));
    Bench.run(c, out, s -> {});
    for (String f : List.of("bench.json", "bench.csv", "bench.md", "decode_latency.png")) {
      assertTrue(Files.size(out.resolve(f)) > 0, f);
    }
    assertFalse(Files.exists(out.resolve(Bench.PARTIAL)));
    JsonNode root = new ObjectMapper().readTree(out.resolve("bench.json").toFile());
    JsonNode env = root.get("machine").get("pass_tf32_env");
    assertEquals("null", env.get("fp32").asText(), "fp32 ran without the TF32 override");
    assertEquals("1", env.get("tf32").asText(), "tf32 ran in a process with the override");
    assertEquals("null", env.get("fp16").asText());
    JsonNode floorsBy = root.get("floors_by_precision");
    assertEquals(Set.of("fp32", "tf32", "fp16"), names(floorsBy));

    Set<String> training = new HashSet<>();
    Set<String> inference = new HashSet<>();
    int records = 0;
    for (JsonNode r : root.get("results")) {
      records++;
      for (String k :
          List.of(
              "model",
              "phase",
              "context",
              "latency_ms",
              "peak_bytes",
              "floor_ms",
              "device",
              "precision")) {
        assertTrue(r.has(k), k + " in " + r);
      }
      assertEquals("cpu", r.get("device").asText());
      String prec = r.get("precision").asText();
      String phase = r.get("phase").asText();
      double ms = r.get("latency_ms").asDouble();
      assertTrue(ms > 0 && r.get("floor_ms").asDouble() > 0, r.toString());
      assertEquals(ms / r.get("floor_ms").asDouble(), r.get("floor_ratio").asDouble(), 1e-9);
      if (phase.startsWith("stage")) {
        int ctx = r.get("context").asInt();
        int batch = r.get("batch").asInt();
        assertEquals("linear", r.get("model").asText());
        assertEquals(ctx * batch / (ms / 1e3), r.get("tokens_per_s").asDouble(), 1e-9 * ms);
        assertEquals(c.training().steps(), r.get("samples_ms").size());
        assertTrue(r.get("peak_bytes").asLong() > 0);
        // The floor comes from this precision's pass: the step's FLOPs over its matmul rate.
        double flops =
            Work.trainStepFlops(
                BenchModels.config(c, BenchModel.TEACHER),
                BenchModels.config(c, BenchModel.LINEAR),
                Phase.parse(phase),
                ctx,
                batch);
        double rate = floorsBy.get(prec).get("matmul_gflops").asDouble();
        assertEquals(flops / (rate * 1e9) * 1e3, r.get("floor_ms").asDouble(), 1e-9);
        assertTrue(training.add(phase + " " + ctx + "x" + batch + " " + prec), "once: " + r);
      } else {
        assertFalse(r.has("batch"));
        inference.add(r.get("model").asText() + " " + phase + " " + prec);
      }
    }
    Set<String> wantTraining = new HashSet<>();
    for (String p : List.of("fp32", "tf32", "fp16")) {
      for (String s : List.of("stage1", "stage2", "stage3")) {
        for (BenchConfig.TrainPoint tp : c.training().points()) {
          wantTraining.add(s + " " + tp.context() + "x" + tp.batch() + " " + p);
        }
      }
    }
    assertEquals(wantTraining, training);
    Set<String> wantInference = new HashSet<>();
    for (String p : List.of("fp32", "fp16")) {
      for (String m : List.of("teacher", "linear", "hybrid")) {
        for (String ph : List.of("decode", "prefill", "table2")) {
          wantInference.add(m + " " + ph + " " + p);
        }
      }
    }
    assertEquals(wantInference, inference, "decode, prefill, Table 2 only in fp32 and fp16");
    List<String> csv = Files.readAllLines(out.resolve("bench.csv"));
    assertEquals(records + 1, csv.size());
    assertTrue(csv.get(0).endsWith(",device,precision,batch"));
    String md = Files.readString(out.resolve("bench.md"));
    assertTrue(md.contains("## Training steps"));
    assertEquals(
        wantTraining.size(),
        md.lines().filter(l -> l.matches("\\| stage[123] \\| \\d+ x \\d+ \\|.*")).count());
    assertTrue(md.contains("# Inference, fp16"));
  }

  @Test
  void h200ConfigIsValidAndItsHybridIsHeadInterleaved8Of32() {
    BenchConfig h = BenchConfig.load(BenchSmokeTest.repoFile("configs/bench/h200.yaml"));
    assertEquals(
        HybridLayout.parse("head-interleaved:8").attentionLayers(h.model().layers()),
        h.hybridAttentionLayers());
    assertEquals(List.of("fp32", "tf32", "fp16"), h.precision());
    assertEquals(131072, h.decode().contexts().stream().mapToInt(i -> i).max().orElseThrow());
    // the two training points first, then the short-sample point (270 tokens, batch 1)
    assertEquals(
        List.of(
            new BenchConfig.TrainPoint(2048, 1),
            new BenchConfig.TrainPoint(512, 4),
            new BenchConfig.TrainPoint(270, 1)),
        h.training().points());
    assertEquals("gpu", h.device());
  }

  @Test
  void badDeviceOrPrecisionIsAOneLineErrorNamingTheKey() throws Exception {
    String base = Files.readString(BenchSmokeTest.repoFile("configs/bench/gpu-smoke.yaml"));
    String[][] cases = {
      {"device: cpu", "device: tpu", "device"},
      {"precision: [fp32, tf32, fp16]", "precision: [fp32, bf16]", "precision[1]"},
      {"precision: [fp32, tf32, fp16]", "precision: [fp32, fp32]", "precision[1]"},
      {
        "inference_precision: [fp32, fp16]",
        "inference_precision: [fp32, fp64]",
        "inference_precision[1]"
      },
      {"stages: [stage1, stage2, stage3]", "stages: [stage4]", "training.stages[0]"},
      {"{context: 8, batch: 2}", "{context: 8, batch: 0}", "training.points[1].batch"},
    };
    for (String[] k : cases) {
      assertTrue(base.contains(k[0]), k[0]);
      String y = base.replace(k[0], k[1]);
      BadInputException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              BadInputException.class, () -> BenchConfig.parse(y, "g.yaml"), k[1]);
      assertTrue(
          e.getMessage().startsWith("g.yaml") && e.getMessage().contains(k[2]), e.getMessage());
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
    // One value instead of a list is accepted.
    BenchConfig one =
        BenchConfig.parse(
            base.replace("precision: [fp32, tf32, fp16]", "precision: fp32")
                .replace("inference_precision: [fp32, fp16]", "inference_precision: fp32"),
            "g.yaml");
    assertEquals(List.of("fp32"), one.precision());
  }

  /**
   * Configs written before the GPU keys stay valid (a CPU fp32 run without training phases):
   * configs/bench/smoke.yaml and the config recorded in the committed docs/bench/bench.json.
   */
  @Test
  void configsWithoutTheGpuKeysStayValid() throws Exception {
    BenchConfig smoke = BenchConfig.load(BenchSmokeTest.repoFile("configs/bench/smoke.yaml"));
    assertFalse(
        Files.readString(BenchSmokeTest.repoFile("configs/bench/smoke.yaml")).contains("device:"));
    assertEquals("cpu", smoke.device());
    assertEquals(List.of("fp32"), smoke.precision());
    assertEquals(List.of("fp32"), smoke.inferencePrecision());
    assertTrue(smoke.training().points().isEmpty());
    JsonNode old =
        new ObjectMapper()
            .readTree(BenchSmokeTest.repoFile("docs/bench/bench.json").toFile())
            .get("config");
    assertFalse(old.has("device"));
    BenchConfig c = BenchConfig.parse(old.toString(), "docs/bench/bench.json");
    assertEquals(List.of(1024, 4096, 16384, 65536, 131072), c.decode().contexts());
    assertEquals("cpu", c.device());
    // A list of precisions without inference_precision: inference runs in all of them.
    String y =
        Files.readString(BenchSmokeTest.repoFile("configs/bench/smoke.yaml"))
            + "precision: [fp32, fp16]\n";
    assertEquals(List.of("fp32", "fp16"), BenchConfig.parse(y, "s.yaml").inferencePrecision());
  }

  private static Set<String> names(JsonNode n) {
    Set<String> out = new HashSet<>();
    n.fieldNames().forEachRemaining(out::add);
    return out;
  }
}
