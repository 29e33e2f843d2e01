package org.mmmamba.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mmmamba.core.Fixtures;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.HfConfigs;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.config.JsonFields;
import org.mmmamba.core.config.RopeScaling;
import org.mmmamba.core.io.CheckpointReader;
import org.mmmamba.core.seed.InitStrategy;
import org.mmmamba.core.seed.Seeder;

/**
 * Students as checkpoints in the released mmMamba layout: config.json and weights read back
 * exactly.
 */
class StudentCheckpointTest {
  static {
    Offline.init();
  }

  static DecoderConfig roundTrip(DecoderConfig c) throws Exception {
    ObjectMapper om = new ObjectMapper();
    JsonNode n = om.readTree(om.writeValueAsString(HfConfigs.toJson(c)));
    return HfConfigs.parse(new JsonFields(n, "round trip"));
  }

  @Test
  void studentConfigsReadBackExactly() throws Exception {
    DecoderConfig llama = DecoderConfig.llama(50, 32, 6, 4, 2, 8, 48);
    DecoderConfig rich =
        new DecoderConfig(
            llama.family(),
            50,
            32,
            6,
            4,
            2,
            8,
            48,
            1e-5,
            5e5,
            new RopeScaling(RopeScaling.Type.DYNAMIC, 2.0, 1024),
            1024,
            true,
            false,
            false,
            null,
            llama.layerKinds(),
            true,
            1,
            List.of(2, 7),
            0);
    for (DecoderConfig t : List.of(llama, rich)) {
      for (String layout :
          List.of(
              "linear", "head-interleaved:2", "tail-stacked:3", "explicit:0,5", "head-stacked:6")) {
        for (int[] kc : new int[][] {{2, 128}, {4, 16}}) {
          DecoderConfig s = Seeder.studentConfig(t, HybridLayout.parse(layout), kc[0], kc[1]);
          assertEquals(s, roundTrip(s), layout);
        }
      }
    }
    DecoderConfig withD = Seeder.studentConfig(llama, HybridLayout.linear(), 2, 128);
    withD = withD.withLayers(withD.family(), withD.layerKinds(), withD.mamba().withD(true));
    assertEquals(withD, roundTrip(withD));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "llama_gqa",
        "llama_headdim",
        "qwen2_tied",
        "internlm2_packed",
        "mamba2",
        "mamba2_ngroups1",
        "mmmamba_hybrid"
      })
  void fixtureConfigsReadBackExactly(String name) throws Exception {
    DecoderConfig c = HfConfigs.read(Fixtures.dir(name));
    assertEquals(c, roundTrip(c));
  }

  @ParameterizedTest
  @ValueSource(strings = {"linear", "head-interleaved:1", "explicit:1"})
  void seededStudentsSaveAndLoadWithBitwiseEqualLogits(String layout, @TempDir Path dir) {
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel teacher = ModelIo.load(Fixtures.dir("llama_gqa"), m, DataType.FLOAT32);
        DecoderModel s =
            Seeder.seed(teacher, HybridLayout.parse(layout), InitStrategy.INHERIT, 5, m)) {
      ModelIo.save(s, dir);
      try (DecoderModel back = ModelIo.load(dir, m, DataType.FLOAT32)) {
        assertEquals(s.config(), back.config());
        assertEquals(new TreeSet<>(s.weights().names()), new TreeSet<>(back.weights().names()));
        long[][] ids = Fixtures.inputs("llama_gqa");
        float[] a = s.forward(s.ids(m, ids)).toFloatArray();
        float[] b = back.forward(back.ids(m, ids)).toFloatArray();
        assertArrayEquals(a, b);
      }
      try (CheckpointReader r = CheckpointReader.open(dir)) {
        List<Integer> attn = HybridLayout.parse(layout).attentionLayers(2);
        for (int i = 0; i < 2; i++) {
          String a = "model.layers." + i + ".attention.";
          Set<String> want =
              attn.contains(i)
                  ? Set.of(a + "wqkv.weight", a + "wo.weight")
                  : Set.of(
                      a + "wvkqgdt.weight",
                      a + "o_proj.weight",
                      a + "conv1d.weight",
                      a + "conv1d.bias",
                      a + "g_norm_swish_gate.weight",
                      a + "dt_bias",
                      a + "A_log_bias");
          Set<String> got = new TreeSet<>();
          for (String n : r.names()) {
            if (n.startsWith(a)) {
              got.add(n);
            }
          }
          assertEquals(new TreeSet<>(want), got, "layer " + i);
        }
        // wvkqgdt rows: [W_V (G*P); W_K (G*P); W_Q (H*P); W_G (H*P); W_dt (H)], conv (C, 1, K)
        if (!attn.contains(1)) {
          assertArrayEquals(
              new long[] {2 * 16 + 2 * 16 + 4 * 16 + 4 * 16 + 4, 64},
              r.info("model.layers.1.attention.wvkqgdt.weight").shape());
          assertArrayEquals(
              new long[] {(2 + 2 + 4) * 16, 1, 2},
              r.info("model.layers.1.attention.conv1d.weight").shape());
        }
      }
    }
  }

  /**
   * Loading the reference student and saving it again gives the reference's tensors, name for name,
   * bit for bit.
   */
  @Test
  void resavingTheReferenceStudentReproducesItsTensors(@TempDir Path dir) throws Exception {
    Path src = Fixtures.dir("mmmamba_hybrid");
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel model = ModelIo.load(src, m, DataType.FLOAT32)) {
      ModelIo.save(model, dir);
    }
    try (CheckpointReader a = CheckpointReader.open(src);
        CheckpointReader b = CheckpointReader.open(dir)) {
      assertEquals(new TreeSet<>(a.names()), new TreeSet<>(b.names()));
      for (String n : a.names()) {
        assertArrayEquals(a.info(n).shape(), b.info(n).shape(), n);
        assertArrayEquals(a.readFloats(n), b.readFloats(n), n);
      }
    }
    JsonNode cfg = new ObjectMapper().readTree(Files.readAllBytes(dir.resolve("config.json")));
    assertEquals("mmmamba", cfg.get("model_type").asText());
    assertEquals(
        "[\"mha\",\"mamba2\",\"mha\",\"mamba2\"]", cfg.get("layers_block_type").toString());
    assertTrue(cfg.has("d_conv") && cfg.has("chunk_size") && cfg.has("use_D"));
  }
}
