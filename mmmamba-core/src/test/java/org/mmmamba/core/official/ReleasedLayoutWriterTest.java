package org.mmmamba.core.official;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mmmamba.core.Offline;
import org.mmmamba.core.io.CheckpointReader;
import org.mmmamba.core.io.Dtype;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.model.VlmIo;

/**
 * The released-layout writer reproduces what the official converter wrote: a student read from the
 * official fixture and saved with {@link VlmIo#saveReleased} (config derived from the HoVLE
 * teacher's config.json) has the official student's config.json (all keys, except {@code
 * _name_or_path}), the same tensor names, shapes and BF16 values, and shards + index when over the
 * shard size.
 */
class ReleasedLayoutWriterTest {
  static {
    Offline.init();
  }

  @ParameterizedTest
  @ValueSource(strings = {"mmmamba_linear", "mmmamba_hybrid"})
  void writesWhatTheOfficialConverterWrote(String name, @TempDir Path tmp) {
    Path out = tmp.resolve(name);
    JsonNode teacher =
        OfficialFixtures.json(OfficialFixtures.model("hovle").resolve("config.json"));
    try (NDManager m = NDManager.newBaseManager();
        VisionLanguageModel model = VlmIo.load(OfficialFixtures.model(name), m, DataType.FLOAT32)) {
      VlmIo.saveReleased(model, out, teacher, 400_000);
    }
    ObjectNode want =
        (ObjectNode) OfficialFixtures.json(OfficialFixtures.model(name).resolve("config.json"));
    ObjectNode got = (ObjectNode) OfficialFixtures.json(out.resolve("config.json"));
    assertEquals(out.toString(), got.get("_name_or_path").asText());
    want.remove("_name_or_path");
    got.remove("_name_or_path");
    assertEquals(want, got);
    assertTrue(Files.exists(out.resolve("model.safetensors.index.json")), "sharded with an index");
    try (CheckpointReader a = CheckpointReader.open(OfficialFixtures.model(name));
        CheckpointReader b = CheckpointReader.open(out)) {
      assertEquals(a.names(), b.names());
      for (String n : a.names()) {
        assertEquals(Dtype.BF16, b.info(n).dtype(), n);
        assertArrayEquals(a.info(n).shape(), b.info(n).shape(), n);
        assertArrayEquals(a.readFloats(n), b.readFloats(n), n);
      }
    }
  }
}
