package org.mmmamba.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sharded checkpoints as transformers writes them, read back through {@link CheckpointReader}. */
class CheckpointWriterTest {
  @TempDir Path dir;

  /** Tensors of 8, 16, 24, 8, 40 bytes. */
  private static SafetensorsWriter tensors() {
    return new SafetensorsWriter()
        .metadata("format", "pt")
        .addFloats("z.first", new long[] {2}, new float[] {1, 2})
        .addFloats("b.second", new long[] {4}, new float[] {3, 4, 5, 6})
        .addDoubles("m.third", new long[] {3}, new double[] {7, 8, 9})
        .addLongs("a.fourth", new long[] {1}, new long[] {10})
        .addFloats("big", new long[] {10}, new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  }

  private List<String> listing() throws IOException {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void packsGreedilyInInsertionOrder() {
    List<List<String>> shards = new ArrayList<>();
    for (var shard : CheckpointWriter.partition(tensors().entries(), 24)) {
      shards.add(shard.stream().map(SafetensorsWriter.Entry::name).toList());
    }
    // 8+16 fit in 24; 24 alone; 8 alone (next is 40); 40 is over the limit and gets its own shard.
    assertEquals(
        List.of(
            List.of("z.first", "b.second"),
            List.of("m.third"),
            List.of("a.fourth"),
            List.of("big")),
        shards);
  }

  @Test
  void writesShardsAndAnIndexLikeTransformers() throws IOException {
    List<Path> files = CheckpointWriter.write(dir, tensors(), 24);
    assertEquals(4, files.size());
    assertEquals(
        List.of(
            "model-00001-of-00004.safetensors",
            "model-00002-of-00004.safetensors",
            "model-00003-of-00004.safetensors",
            "model-00004-of-00004.safetensors",
            "model.safetensors.index.json"),
        listing());
    JsonNode index = new ObjectMapper().readTree(dir.resolve(CheckpointWriter.INDEX_FILE).toFile());
    assertEquals(96, index.get("metadata").get("total_size").asLong());
    List<String> keys = new ArrayList<>();
    index.get("weight_map").fieldNames().forEachRemaining(keys::add);
    assertEquals(List.of("a.fourth", "b.second", "big", "m.third", "z.first"), keys);
    assertEquals(
        "model-00002-of-00004.safetensors", index.get("weight_map").get("m.third").asText());

    try (SafetensorsFile shard = SafetensorsFile.open(files.get(0))) {
      assertEquals(Map.of("format", "pt"), shard.metadata());
    }
    try (CheckpointReader r = CheckpointReader.open(dir)) {
      assertEquals(
          List.of("a.fourth", "b.second", "big", "m.third", "z.first"), List.copyOf(r.names()));
      assertArrayEquals(new float[] {1, 2}, r.readFloats("z.first"));
      assertArrayEquals(new double[] {7, 8, 9}, r.readDoubles("m.third"));
      assertArrayEquals(new long[] {10}, r.readLongs("a.fourth"));
      assertEquals(10, r.readFloats("big").length);
      assertEquals(files.get(3), r.fileOf("big"));
    }
  }

  @Test
  void oneShardIsPlainModelSafetensorsAndStaleFilesGo() throws IOException {
    CheckpointWriter.write(dir, tensors(), 24); // four shards + index
    Files.writeString(dir.resolve("config.json"), "{}");
    List<Path> files = CheckpointWriter.write(dir, tensors(), 1L << 30);
    assertEquals(List.of(dir.resolve("model.safetensors")), files);
    assertEquals(List.of("config.json", "model.safetensors"), listing());
    try (CheckpointReader r = CheckpointReader.open(dir)) {
      assertEquals(5, r.names().size());
    }
    // And back to shards: the old single file goes.
    CheckpointWriter.write(dir, tensors(), 48);
    assertFalse(listing().contains("model.safetensors"));
    assertTrue(listing().contains("model.safetensors.index.json"));
    try (CheckpointReader r = CheckpointReader.open(dir)) {
      assertEquals(5, r.names().size());
    }
  }

  @Test
  void createsTheDirectoryAndRejectsABadLimit() {
    Path sub = dir.resolve("a/b");
    CheckpointWriter.write(sub, tensors(), 1000);
    assertTrue(Files.isRegularFile(sub.resolve("model.safetensors")));
    assertThrows(IllegalArgumentException.class, () -> CheckpointWriter.write(dir, tensors(), 0));
  }
}
