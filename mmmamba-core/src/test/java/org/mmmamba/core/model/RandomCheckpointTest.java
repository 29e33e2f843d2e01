package org.mmmamba.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.VlmConfig;
import org.mmmamba.core.config.VlmConfigs;
import org.mmmamba.core.io.CheckpointReader;
import org.mmmamba.core.io.Dtype;

/**
 * A random teacher written tensor by tensor as BF16 shards loads back through the normal path
 * (VlmIo, BF16 widened in Java) with every tensor of the layout, norms at 1 and matrices at the
 * requested std.
 */
class RandomCheckpointTest {
  static {
    Offline.init();
  }

  @TempDir Path tmp;

  @Test
  void bf16ShardsLoadBackWithTheRightStatistics() throws Exception {
    VlmConfig c = VlmConfigs.read(Path.of("../models/shapes-teacher"));
    long n = RandomCheckpoint.write(c, tmp, Dtype.BF16, 3, 0.02, 40_000);
    assertTrue(Files.exists(tmp.resolve("model.safetensors.index.json")), "sharded at 40 kB");
    try (CheckpointReader r = CheckpointReader.open(tmp)) {
      long total = 0;
      for (String name : r.names()) {
        assertEquals(Dtype.BF16, r.info(name).dtype(), name);
        float[] v = r.readFloats(name);
        total += v.length;
        if (name.endsWith("norm.weight")) {
          for (float x : v) {
            assertEquals(1f, x, name);
          }
        } else if (name.endsWith("embeddings.weight") || name.endsWith("wqkv.weight")) {
          double s2 = 0;
          for (float x : v) {
            s2 += x * (double) x;
          }
          assertEquals(0.02, Math.sqrt(s2 / v.length), 0.002, name + " std");
        }
      }
      assertEquals(n, total);
    }
    try (NDManager m = NDManager.newBaseManager();
        VisionLanguageModel vlm = VlmIo.load(tmp, m, DataType.FLOAT32)) {
      assertEquals(c.stack().numLayers(), vlm.decoder().config().numLayers());
    }
    // Same seed, same bytes; the generation is parallel but each block has its own stream.
    Path again = tmp.resolve("again");
    RandomCheckpoint.write(c, again, Dtype.BF16, 3, 0.02, 40_000);
    try (CheckpointReader a = CheckpointReader.open(tmp);
        CheckpointReader b = CheckpointReader.open(again)) {
      for (String name : a.names()) {
        assertTrue(java.util.Arrays.equals(a.readFloats(name), b.readFloats(name)), name);
      }
    }
  }
}
