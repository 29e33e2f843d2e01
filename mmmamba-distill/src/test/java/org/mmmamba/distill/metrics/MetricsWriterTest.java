package org.mmmamba.distill.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsWriterTest {
  @TempDir Path dir;

  @Test
  void oneFlushedObjectPerLine() throws IOException {
    Path f = dir.resolve("sub/metrics.jsonl");
    try (MetricsWriter w = MetricsWriter.create(f)) {
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("loss", 1.5);
      v.put("lr", 0.001);
      w.step(0, v);
      // flushed: visible before close
      assertEquals("{\"step\":0,\"loss\":1.5,\"lr\":0.001}\n", Files.readString(f));
      w.step(1, Map.of("loss", Double.NaN));
      w.event("checkpoint", Map.of("path", "ckpt-2"));
    }
    assertEquals(
        "{\"step\":0,\"loss\":1.5,\"lr\":0.001}\n{\"step\":1,\"loss\":\"NaN\"}\n"
            + "{\"event\":\"checkpoint\",\"path\":\"ckpt-2\"}\n",
        Files.readString(f));
    try (MetricsWriter w = MetricsWriter.create(f)) {
      w.step(9, Map.of());
    }
    assertEquals("{\"step\":9}\n", Files.readString(f), "create starts over");
  }

  @Test
  void appendCutsATornLine() throws IOException {
    Path f = dir.resolve("metrics.jsonl");
    Files.writeString(f, "{\"step\":0}\n{\"step\":1,\"lo");
    try (MetricsWriter w = MetricsWriter.append(f)) {
      w.step(1, Map.of());
    }
    assertEquals("{\"step\":0}\n{\"step\":1}\n", Files.readString(f));
  }

  @Test
  void resumeDropsWhatCameAfterTheCheckpoint() throws IOException {
    Path f = dir.resolve("metrics.jsonl");
    Files.writeString(
        f, "{\"step\":0}\n{\"step\":1}\n{\"event\":\"start\"}\n{\"step\":2}\n{\"step\":3}\n{\"ste");
    try (MetricsWriter w = MetricsWriter.resume(f, 1)) {
      w.event("resume", Map.of("from", 1));
      w.step(2, Map.of());
    }
    assertEquals(
        "{\"step\":0}\n{\"step\":1}\n{\"event\":\"start\"}\n{\"event\":\"resume\",\"from\":1}\n{\"step\":2}\n",
        Files.readString(f));
    Path fresh = dir.resolve("none.jsonl");
    try (MetricsWriter w = MetricsWriter.resume(fresh, 5)) {
      w.step(6, Map.of());
    }
    assertEquals("{\"step\":6}\n", Files.readString(fresh));
  }
}
