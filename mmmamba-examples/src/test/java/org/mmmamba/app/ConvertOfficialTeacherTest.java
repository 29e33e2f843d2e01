package org.mmmamba.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.config.LayerKind;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.model.VlmIo;
import org.mmmamba.core.seed.InitStrategy;

/**
 * {@code convert} from a published-format HoVLE teacher (the official fixture of mmmamba-core,
 * whose embedding and LLM parts differ in KV heads, MLP width, eps and RoPE) writes a student in
 * the released mmMamba layout: its config.json is what the official converter wrote for the same
 * layer kinds (the hybrid fixture), it loads back, and it carries the tokenizer files.
 */
class ConvertOfficialTeacherTest {
  static {
    Offline.init();
  }

  /** The fixtures live in mmmamba-core's test resources (tests run in the module directory). */
  static Path fixture(String name) {
    return Path.of("..", "mmmamba-core", "src", "test", "resources", "fixtures", "official", name)
        .toAbsolutePath()
        .normalize();
  }

  @Test
  void hybridStudentInTheReleasedLayout(@TempDir Path tmp) throws Exception {
    Path teacher = tmp.resolve("HoVLE");
    Files.createDirectories(teacher);
    for (Path p : Files.list(fixture("hovle")).toList()) {
      Files.copy(p, teacher.resolve(p.getFileName()));
    }
    Path tok = fixture("hovle").getParent().resolve("tokenizer");
    for (Path p : Files.list(tok).toList()) {
      Files.copy(p, teacher.resolve(p.getFileName()));
    }
    Path out = tmp.resolve("student");
    MmMamba.convert(
        teacher,
        HybridLayout.parse("explicit:0,4,8,12,16,20,24,28"),
        InitStrategy.parse("inherit_mimic"),
        0,
        out);
    ObjectMapper om = new ObjectMapper();
    ObjectNode want =
        (ObjectNode) om.readTree(fixture("mmmamba_hybrid").resolve("config.json").toFile());
    ObjectNode got = (ObjectNode) om.readTree(out.resolve("config.json").toFile());
    want.remove("_name_or_path");
    got.remove("_name_or_path");
    assertEquals(want, got);
    assertTrue(Files.exists(out.resolve("tokenizer.model")));
    assertTrue(Files.exists(out.resolve("tokenizer_config.json")));
    try (NDManager m = NDManager.newBaseManager();
        VisionLanguageModel s = VlmIo.load(out, m, DataType.FLOAT32)) {
      assertEquals(LayerKind.ATTENTION, s.config().stack().kind(8));
      assertEquals(LayerKind.MAMBA2, s.config().stack().kind(9));
    }
  }
}
