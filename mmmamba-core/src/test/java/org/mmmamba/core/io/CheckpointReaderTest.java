package org.mmmamba.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.BadInputException;

/** The four checkpoint layouts, and the errors that name both the index entry and the shard. */
class CheckpointReaderTest {
  @TempDir Path dir;

  private static void shard(Path file, String... names) {
    SafetensorsWriter w = new SafetensorsWriter();
    for (String n : names) {
      w.addFloats(n, new long[] {2}, new float[] {n.length(), n.charAt(0)});
    }
    w.write(file);
  }

  private static float[] expected(String n) {
    return new float[] {n.length(), n.charAt(0)};
  }

  private void index(String json) throws IOException {
    Files.writeString(dir.resolve(CheckpointWriter.INDEX_FILE), json);
  }

  private static void assertMessage(BadInputException e, String... parts) {
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), "'" + p + "' missing from: " + e.getMessage());
    }
  }

  @Test
  void singleFile() {
    Path f = dir.resolve("weights.safetensors");
    shard(f, "b", "a");
    try (CheckpointReader r = CheckpointReader.open(f)) {
      assertEquals(List.of("a", "b"), List.copyOf(r.names())); // sorted, not header order
      assertArrayEquals(expected("a"), r.readFloats("a"));
      assertEquals(f, r.fileOf("b"));
      assertEquals(Dtype.F32, r.info("a").dtype());
      BadInputException e = assertThrows(BadInputException.class, () -> r.readFloats("zz"));
      assertMessage(e, "weights.safetensors", "'zz'");
    }
  }

  @Test
  void shardedViaIndexOpensShardsLazily() throws IOException {
    shard(dir.resolve("model-00001-of-00002.safetensors"), "layer.0.w", "embed");
    // The second shard is corrupt: that only matters once one of its tensors is read.
    Files.write(dir.resolve("model-00002-of-00002.safetensors"), new byte[] {1, 2, 3});
    index(
        "{\"metadata\":{\"total_size\":16},\"weight_map\":{"
            + "\"layer.0.w\":\"model-00001-of-00002.safetensors\","
            + "\"embed\":\"model-00001-of-00002.safetensors\","
            + "\"head\":\"model-00002-of-00002.safetensors\"}}");
    try (CheckpointReader r = CheckpointReader.open(dir)) {
      assertEquals(List.of("embed", "head", "layer.0.w"), List.copyOf(r.names()));
      assertArrayEquals(expected("embed"), r.readFloats("embed"));
      assertArrayEquals(expected("layer.0.w"), r.readFloats("layer.0.w"));
      assertEquals(dir.resolve("model-00002-of-00002.safetensors"), r.fileOf("head"));
      BadInputException e = assertThrows(BadInputException.class, () -> r.readFloats("head"));
      assertMessage(e, CheckpointWriter.INDEX_FILE, "'head'", "model-00002-of-00002.safetensors");
    }
  }

  @Test
  void indexPointingAtAMissingShardNamesBoth() throws IOException {
    shard(dir.resolve("a.safetensors"), "x");
    index("{\"weight_map\":{\"x\":\"a.safetensors\",\"y\":\"gone.safetensors\"}}");
    try (CheckpointReader r = CheckpointReader.open(dir)) {
      assertArrayEquals(expected("x"), r.readFloats("x"));
      BadInputException e = assertThrows(BadInputException.class, () -> r.info("y"));
      assertMessage(e, "'y'", "gone.safetensors", "no such file");
    }
  }

  @Test
  void indexPointingAtAShardWithoutTheTensorNamesBoth() throws IOException {
    shard(dir.resolve("a.safetensors"), "x");
    index("{\"weight_map\":{\"x\":\"a.safetensors\",\"y\":\"a.safetensors\"}}");
    try (CheckpointReader r = CheckpointReader.open(dir)) {
      BadInputException e = assertThrows(BadInputException.class, () -> r.readDoubles("y"));
      assertMessage(e, "'y'", "a.safetensors", CheckpointWriter.INDEX_FILE);
    }
  }

  @Test
  void indexMayNotEscapeTheDirectory() throws IOException {
    index("{\"weight_map\":{\"x\":\"../elsewhere.safetensors\"}}");
    BadInputException e = assertThrows(BadInputException.class, () -> CheckpointReader.open(dir));
    assertMessage(e, CheckpointWriter.INDEX_FILE, "'x'", "outside");
  }

  @Test
  void malformedIndexIsBadInput() throws IOException {
    index("{\"weight_map\":");
    assertMessage(
        assertThrows(BadInputException.class, () -> CheckpointReader.open(dir)),
        CheckpointWriter.INDEX_FILE);
    index("{\"metadata\":{}}");
    assertMessage(
        assertThrows(BadInputException.class, () -> CheckpointReader.open(dir)), "weight_map");
    index("{\"weight_map\":{\"x\":3}}");
    assertMessage(assertThrows(BadInputException.class, () -> CheckpointReader.open(dir)), "'x'");
  }

  @Test
  void indexWinsOverModelSafetensors() throws IOException {
    shard(dir.resolve("model.safetensors"), "stale");
    shard(dir.resolve("s1.safetensors"), "fresh");
    index("{\"weight_map\":{\"fresh\":\"s1.safetensors\"}}");
    try (CheckpointReader r = CheckpointReader.open(dir)) {
      assertEquals(List.of("fresh"), List.copyOf(r.names()));
    }
  }

  @Test
  void modelSafetensorsWinsOverOtherFiles() {
    shard(dir.resolve("model.safetensors"), "m");
    shard(dir.resolve("other.safetensors"), "o");
    try (CheckpointReader r = CheckpointReader.open(dir)) {
      assertEquals(List.of("m"), List.copyOf(r.names()));
      assertEquals(dir.resolve("model.safetensors"), r.fileOf("m"));
    }
  }

  @Test
  void allSafetensorsFilesWithoutIndex() {
    shard(dir.resolve("part-b.safetensors"), "b1", "b2");
    shard(dir.resolve("part-a.safetensors"), "a1");
    try (CheckpointReader r = CheckpointReader.open(dir)) {
      assertEquals(List.of("a1", "b1", "b2"), List.copyOf(r.names()));
      assertArrayEquals(expected("b2"), r.readFloats("b2"));
      assertEquals(dir.resolve("part-a.safetensors"), r.fileOf("a1"));
    }
  }

  @Test
  void aNameInTwoFilesIsAnError() {
    shard(dir.resolve("one.safetensors"), "dup", "u1");
    shard(dir.resolve("two.safetensors"), "dup");
    BadInputException e = assertThrows(BadInputException.class, () -> CheckpointReader.open(dir));
    assertMessage(e, "'dup'", "one.safetensors", "two.safetensors");
  }

  @Test
  void nothingToLoad() throws IOException {
    assertMessage(
        assertThrows(BadInputException.class, () -> CheckpointReader.open(dir)), dir.toString());
    assertMessage(
        assertThrows(BadInputException.class, () -> CheckpointReader.open(dir.resolve("missing"))),
        "missing");
    Files.writeString(dir.resolve("x.safetensors"), "not a safetensors file");
    assertMessage(
        assertThrows(BadInputException.class, () -> CheckpointReader.open(dir)), "x.safetensors");
  }

  @Test
  void readsIntegersAndDoublesThroughTheReader() {
    Path f = dir.resolve("model.safetensors");
    new SafetensorsWriter()
        .addLongs("ids", new long[] {3}, new long[] {1, 2, 3})
        .addDoubles("d", new long[] {1}, new double[] {0.1})
        .write(f);
    try (CheckpointReader r = CheckpointReader.open(dir)) {
      assertArrayEquals(new long[] {1, 2, 3}, r.readLongs("ids"));
      assertArrayEquals(new double[] {0.1}, r.readDoubles("d"));
      assertTrue(r.contains("ids"));
    }
    CheckpointReader closed = CheckpointReader.open(dir);
    closed.close();
    assertThrows(IllegalStateException.class, () -> closed.readLongs("ids"));
  }
}
