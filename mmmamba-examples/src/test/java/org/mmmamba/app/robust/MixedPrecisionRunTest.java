package org.mmmamba.app.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.app.cli.Main;
import org.mmmamba.core.Offline;
import org.mmmamba.core.io.CheckpointReader;
import org.mmmamba.core.io.Dtype;

/**
 * {@code run.precision: fp16-mixed} through the public CLI on the tiny teacher (CPU): all three
 * stages train with finite losses, the checkpoints hold float32 masters (weights and AdamW
 * moments), metrics record the loss scale, the manifest records the precision, and bf16 / a float16
 * dtype beside it are refused with exit code 2.
 */
class MixedPrecisionRunTest {
  static {
    Offline.init();
  }

  @TempDir Path tmp;

  Path config(String precision, String dtype) {
    Path out = tmp.resolve("out-" + precision);
    return Fx.write(
        tmp.resolve(precision + ".yaml"),
        String.join(
            "\n",
            "run: {name: mixed, out_dir: "
                + out
                + ", seed: 5, device: cpu, dtype: "
                + dtype
                + ", precision: "
                + precision
                + "}",
            "teacher: {path: " + Fx.teacher() + "}",
            "data: {batch_size: 4, synthetic: {seed: 2, train: 16, test: 8}}",
            "init: {chunk_size: 4}",
            "students: [{name: linear, layout: linear}]",
            "stages:",
            "  stage1: {steps: 5}",
            "  stage2: {steps: 5}",
            "  stage3: {steps: 5}",
            "checkpoint: {every: 5, keep: 1}",
            "eval: {enabled: false}",
            ""));
  }

  @Test
  void fp16MixedTrainsWithFloat32Masters() throws Exception {
    Fx.CliResult r = Fx.cli("distill", "--config", config("fp16-mixed", "float32").toString());
    assertEquals(0, r.code(), r.err());
    Path out = tmp.resolve("out-fp16-mixed");
    for (Path train :
        List.of(
            out.resolve("stage1/train"),
            out.resolve("stage2/train"),
            out.resolve("students/linear/train"))) {
      List<JsonNode> m = NonFiniteTest.metrics(train);
      assertEquals(5, m.size(), train.toString());
      for (JsonNode n : m) {
        assertTrue(Double.isFinite(n.get("loss").asDouble()), train + ": " + n);
        // overflowing steps (the scale starts at 2^16 and halves) skip; the loss itself stays
        // finite
        assertTrue(n.get("loss_scale").asDouble() > 0, train + ": " + n);
      }
      assertTrue(m.get(4).get("applied").asBoolean(), train + ": the last step is applied");
      for (String f : List.of("weights.safetensors", "optimizer.safetensors")) {
        try (CheckpointReader cr = CheckpointReader.open(train.resolve("ckpt-5").resolve(f))) {
          for (String n : cr.names()) {
            if (cr.info(n).dtype().isFloat()) {
              assertEquals(Dtype.F32, cr.info(n).dtype(), train + "/" + f + ": " + n);
            }
          }
        }
      }
    }
    JsonNode manifest = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
    assertEquals(
        "fp16-mixed", manifest.path("extra").path("precision").asText(), manifest.toString());
  }

  @Test
  void bf16AndAFloat16DtypeBesideAPrecisionAreRefused() {
    Fx.CliResult bf = Fx.cli("distill", "--config", config("bf16", "float32").toString());
    assertEquals(Main.BAD_INPUT, bf.code(), bf.err());
    assertTrue(
        bf.err().contains("run.precision")
            && bf.err().contains("DJL 0.36 aborts the JVM on bfloat16"),
        bf.err());
    Fx.CliResult both = Fx.cli("distill", "--config", config("fp16-mixed", "float16").toString());
    assertEquals(Main.BAD_INPUT, both.code(), both.err());
    assertTrue(
        both.err().contains("run.dtype must be float32 when run.precision is fp16-mixed"),
        both.err());
  }
}
