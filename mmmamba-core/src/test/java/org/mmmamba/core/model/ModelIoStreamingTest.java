package org.mmmamba.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.io.CheckpointReader;
import org.mmmamba.core.io.CheckpointWriter;
import org.mmmamba.core.io.SafetensorsWriter;
import org.mmmamba.core.io.WeightMaps;

/**
 * Saving streams: a checkpoint tensor is assembled from the live weights only when the writer
 * reaches it (so a model is never held twice), and the packed layouts (InternLM2 wqkv, mmMamba
 * in_proj) come out exactly.
 */
class ModelIoStreamingTest {
  static {
    Offline.init();
  }

  @Test
  void tensorsAreReadFromTheWeightsAtWriteTime(@TempDir Path dir) {
    DecoderConfig c = DecoderConfig.llama(64, 32, 2, 4, 2, 8, 48);
    try (NDManager m = NDManager.newBaseManager();
        Weights w = RandomWeights.create(c, m, DataType.FLOAT32, 3, 0.02)) {
      SafetensorsWriter sw = new SafetensorsWriter();
      ModelIo.addAll(sw, w, WeightMaps.of(c));
      // Changed after addAll, before the write: an eager copy would miss this.
      w.get("layers.1.mlp.W_up").set(new NDIndex("..."), 0.25f);
      CheckpointWriter.write(dir, sw, Long.MAX_VALUE);
      try (CheckpointReader r = CheckpointReader.open(dir)) {
        float[] up = r.readFloats("model.layers.1.mlp.up_proj.weight");
        for (float v : up) {
          assertEquals(0.25f, v);
        }
        assertArrayEquals(
            w.get("layers.0.attn.W_Q").toFloatArray(),
            r.readFloats("model.layers.0.self_attn.q_proj.weight"));
      }
    }
  }

  @Test
  void packedLayoutsRoundTripExactly(@TempDir Path dir) {
    DecoderConfig t = DecoderConfig.llama(64, 32, 4, 4, 2, 8, 48);
    DecoderConfig student =
        t.withLayers(
            org.mmmamba.core.config.ModelFamily.MMMAMBA,
            HybridLayout.explicit(java.util.List.of(0)).kinds(4),
            org.mmmamba.core.config.Mamba2Config.mmMamba(4, 2, 8, 2, 4));
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel a = RandomWeights.model(student, m, DataType.FLOAT32, 5)) {
      ModelIo.save(student, a.weights(), dir);
      try (DecoderModel b = ModelIo.load(dir, m, DataType.FLOAT32)) {
        for (String name : a.weights().names()) {
          assertArrayEquals(
              a.weights().get(name).toFloatArray(), b.weights().get(name).toFloatArray(), name);
        }
      }
    }
  }
}
