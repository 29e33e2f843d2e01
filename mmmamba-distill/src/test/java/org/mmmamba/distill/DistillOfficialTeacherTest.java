package org.mmmamba.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.LayerKind;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.model.VlmIo;
import org.mmmamba.distill.recipe.Recipes;

/**
 * {@code distill} from a published-format HoVLE teacher (mmmamba-core's official fixture:
 * internvl_chat config, BF16 shards, InternLM2 tokenizer.model) on a LLaVA-format dataset: the run
 * completes and writes each student in the released mmMamba layout (mmMamba_chat config with
 * layers_block_type, BF16, the tokenizer files), loadable again.
 */
class DistillOfficialTeacherTest {
  static {
    Offline.init();
  }

  static Path fixture(String name) {
    return Path.of("..", "mmmamba-core", "src", "test", "resources", "fixtures", "official", name)
        .toAbsolutePath()
        .normalize();
  }

  @Test
  void distilsFromAnOfficialHovleAndWritesReleasedStudents(@TempDir Path tmp) throws Exception {
    Path teacher = tmp.resolve("HoVLE");
    Files.createDirectories(teacher);
    for (Path p : Files.list(fixture("hovle")).toList()) {
      Files.copy(p, teacher.resolve(p.getFileName()));
    }
    for (Path p : Files.list(fixture("tokenizer")).toList()) {
      Files.copy(p, teacher.resolve(p.getFileName()));
    }
    Path data = tmp.resolve("data");
    Files.createDirectories(data);
    Files.copy(fixture("image.png").getParent().resolve("image.png"), data.resolve("pic.png"));
    StringBuilder js = new StringBuilder("[");
    String[][] qa = {
      {"What is in the image?", "A red circle."}, {"How many shapes?", "Three."},
    };
    for (int i = 0; i < qa.length; i++) {
      js.append(i > 0 ? "," : "")
          .append("{\"id\": \"s")
          .append(i)
          .append(
              "\", \"image\": \"pic.png\", "
                  + "\"conversations\": [{\"from\": \"human\", \"value\": \"<image>\\n")
          .append(qa[i][0])
          .append("\"}, {\"from\": \"gpt\", \"value\": \"")
          .append(qa[i][1])
          .append("\"}]}");
    }
    Files.writeString(data.resolve("train.json"), js.append("]").toString());
    Path out = tmp.resolve("run");
    Path cfg = tmp.resolve("run.yaml");
    Files.writeString(
        cfg,
        String.join(
            "\n",
            "run: {name: official, out_dir: " + out + ", seed: 5, device: cpu}",
            "teacher: {path: " + teacher + "}",
            "data: {train: "
                + data.resolve("train.json")
                + ", image_root: "
                + data
                + ", batch_size: 2}",
            "init: {chunk_size: 8}",
            "students:",
            "  - {name: hybrid, layout: 'explicit:0,4,8,12,16,20,24,28'}",
            "stages:",
            "  stage1: {steps: 1, schedule: {type: wsd, warmup: 0, stable: 1, decay: 0}}",
            "  stage2: {steps: 1, schedule: {type: wsd, warmup: 0, stable: 1, decay: 0}}",
            "  stage3: {steps: 1, lr: 1.0e-4, schedule: {type: wsd, warmup: 0, stable: 1, decay: 0}}",
            "eval: {enabled: false}",
            ""));
    Distillation.Result r =
        Distillation.run(Recipes.load(cfg, List.of()), Distillation.Options.defaults());
    assertEquals(1, r.students().size());
    ObjectMapper om = new ObjectMapper();
    for (Distillation.StudentResult s : r.students()) {
      JsonNode c = om.readTree(s.modelDir().resolve("config.json").toFile());
      assertEquals("mmMamba_chat", c.get("model_type").asText());
      assertEquals("mmMambaChatModel", c.get("architectures").asText());
      assertEquals(8, c.get("embedding_config").get("layers_block_type").size());
      assertEquals(24, c.get("llm_config").get("layers_block_type").size());
      assertTrue(Files.exists(s.modelDir().resolve("tokenizer.model")));
      try (NDManager m = NDManager.newBaseManager();
          VisionLanguageModel v = VlmIo.load(s.modelDir(), m, DataType.FLOAT32)) {
        boolean hybrid = s.name().equals("hybrid");
        assertEquals(
            hybrid ? LayerKind.ATTENTION : LayerKind.MAMBA2, v.config().stack().kind(12), s.name());
      }
    }
  }
}
