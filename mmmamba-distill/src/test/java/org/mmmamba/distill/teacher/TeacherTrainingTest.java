package org.mmmamba.distill.teacher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.Offline;
import org.mmmamba.core.io.CheckpointReader;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.model.VlmIo;
import org.mmmamba.distill.TinyRuns;

/**
 * train-teacher end to end on a small config (the committed teacher's recipe, shortened): the loss
 * goes down, and the saved model loads back with exactly the weights of the final training
 * checkpoint.
 */
class TeacherTrainingTest {
  static {
    Offline.init();
  }

  @TempDir Path tmp;

  @Test
  void shortRunLearnsAndReloads() throws Exception {
    Path model = TinyRuns.teacher(tmp);
    Path run = tmp.resolve("teacher-run");
    List<Double> losses = new ArrayList<>();
    ObjectMapper om = new ObjectMapper();
    for (String line : Files.readAllLines(run.resolve("train/metrics.jsonl"))) {
      JsonNode n = om.readTree(line);
      if (n.has("loss")) {
        losses.add(n.get("loss").asDouble());
      }
    }
    assertTrue(losses.size() == 6, "6 steps logged, got " + losses.size());
    double last = (losses.get(3) + losses.get(4) + losses.get(5)) / 3;
    assertTrue(last < losses.get(0), "loss did not go down: " + losses);
    try (NDManager m = NDManager.newBaseManager();
        VisionLanguageModel vlm = VlmIo.load(model, m, DataType.FLOAT32);
        CheckpointReader ckpt =
            CheckpointReader.open(run.resolve("train/ckpt-6/weights.safetensors"))) {
      int compared = 0;
      for (String name : ckpt.names()) {
        assertArrayEquals(ckpt.readFloats(name), vlm.parameters().get(name).toFloatArray(), name);
        compared++;
      }
      assertTrue(compared > 10, "compared " + compared + " tensors");
    }
  }
}
