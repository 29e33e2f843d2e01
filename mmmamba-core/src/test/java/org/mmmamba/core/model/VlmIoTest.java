package org.mmmamba.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Offline;
import org.mmmamba.core.VlmFixtures;
import org.mmmamba.core.config.VlmConfig;
import org.mmmamba.core.config.VlmConfigs;
import org.mmmamba.core.io.CheckpointReader;
import org.mmmamba.core.io.CheckpointWriter;
import org.mmmamba.core.io.SafetensorsWriter;

/** HoVLE-layout checkpoints: exact key names, bitwise round trips, and errors naming the tensor. */
class VlmIoTest {
  static {
    Offline.init();
  }

  @TempDir Path tmp;

  private static float[] logits(VisionLanguageModel vlm, NDManager m) {
    try (NDScope scope = new NDScope()) {
      return vlm.forward(
              vlm.ids(m, VlmFixtures.prompts()), VlmFixtures.promptPixels(m, DataType.FLOAT32))
          .toFloatArray();
    }
  }

  @Test
  void roundTripIsBitwiseUnshardedAndSharded() {
    for (VlmConfig c : List.of(VlmFixtures.teacher(), VlmFixtures.hybrid())) {
      for (long shard : new long[] {ModelIo.DEFAULT_SHARD_BYTES, 8192}) {
        Path dir = tmp.resolve(c.stack().family() + "-" + shard);
        try (NDManager m = NDManager.newBaseManager();
            VisionLanguageModel vlm = RandomWeights.vlm(c, m, DataType.FLOAT32, 17, 0.5)) {
          VlmIo.save(vlm, dir, shard);
          assertEquals(shard < 1e6, Files.exists(dir.resolve(CheckpointWriter.INDEX_FILE)));
          try (VisionLanguageModel back = VlmIo.load(dir, m, DataType.FLOAT32)) {
            assertEquals(c, back.config());
            assertEquals(vlm.parameters().keySet(), back.parameters().keySet());
            for (String n : vlm.parameters().keySet()) {
              assertArrayEquals(
                  vlm.parameters().get(n).toFloatArray(),
                  back.parameters().get(n).toFloatArray(),
                  0f,
                  n);
            }
            assertArrayEquals(logits(vlm, m), logits(back, m), 0f);
          }
        }
      }
    }
  }

  /**
   * The file's key names, written out by hand from docs/method.md §6 for E = 2 embedding + 2 LLM
   * layers.
   */
  @Test
  void keyNamesAreHovles() {
    Path dir = tmp.resolve("keys");
    try (NDManager m = NDManager.newBaseManager();
        VisionLanguageModel vlm =
            RandomWeights.vlm(VlmFixtures.hybrid(), m, DataType.FLOAT32, 1, 0.02)) {
      VlmIo.save(vlm, dir);
    }
    Set<String> want =
        new TreeSet<>(
            List.of(
                "embedding_model.vision_embeddings.patch_embedding.weight",
                "embedding_model.vision_embeddings.patch_embedding.bias",
                "embedding_model.vision_embeddings.position_embedding",
                "embedding_model.vision_embeddings.class_embedding",
                "embedding_model.llm_text_embeddings.weight",
                "embedding_model.pixel_shuffle_proj.0.weight",
                "embedding_model.pixel_shuffle_proj.0.bias",
                "embedding_model.pixel_shuffle_proj.2.weight",
                "embedding_model.pixel_shuffle_proj.2.bias",
                "language_model.model.tok_embeddings.weight",
                "language_model.model.norm.weight",
                "language_model.output.weight"));
    // hybrid(): global layers 0 and 2 are Mamba-2, 1 and 3 attention
    String[] prefixes = {
      "embedding_model.encoder.0.",
      "embedding_model.encoder.1.",
      "language_model.model.layers.0.",
      "language_model.model.layers.1."
    };
    for (int g = 0; g < 4; g++) {
      String p = prefixes[g];
      for (String k :
          List.of(
              "attention_norm.weight",
              "ffn_norm.weight",
              "feed_forward.w1.weight",
              "feed_forward.w2.weight",
              "feed_forward.w3.weight")) {
        want.add(p + k);
      }
      List<String> mixer =
          g % 2 == 1
              ? List.of("attention.wqkv.weight", "attention.wo.weight")
              : List.of(
                  "attention.wvkqgdt.weight",
                  "attention.o_proj.weight",
                  "attention.conv1d.weight",
                  "attention.conv1d.bias",
                  "attention.g_norm_swish_gate.weight",
                  "attention.dt_bias",
                  "attention.A_log_bias");
      mixer.forEach(k -> want.add(p + k));
    }
    try (CheckpointReader r = CheckpointReader.open(dir)) {
      assertEquals(want, new TreeSet<>(r.names()));
      assertArrayEquals(
          new long[] {16, 3, 4, 4},
          r.info("embedding_model.vision_embeddings.patch_embedding.weight").shape());
      assertArrayEquals(
          new long[] {1, 17, 16},
          r.info("embedding_model.vision_embeddings.position_embedding").shape());
      assertArrayEquals(
          new long[] {1, 1, 16},
          r.info("embedding_model.vision_embeddings.class_embedding").shape());
      assertArrayEquals(
          new long[] {16, 64}, r.info("embedding_model.pixel_shuffle_proj.0.weight").shape());
      assertArrayEquals(
          new long[] {32, 16},
          r.info("language_model.model.layers.1.attention.wqkv.weight").shape());
    }
  }

  /**
   * Rewrites {@code dir}'s single weight file through {@code edit} (which gets a writer preloaded
   * with all).
   */
  private static void rewrite(Path dir, String drop, Consumer<SafetensorsWriter> add) {
    SafetensorsWriter sw = new SafetensorsWriter().metadata("format", "pt");
    try (CheckpointReader r = CheckpointReader.open(dir)) {
      for (String n : new ArrayList<>(r.names())) {
        if (!n.equals(drop)) {
          sw.addFloats(n, r.info(n).shape(), r.readFloats(n));
        }
      }
    }
    add.accept(sw);
    CheckpointWriter.write(dir, sw, ModelIo.DEFAULT_SHARD_BYTES);
  }

  private Path saved(String name) {
    Path dir = tmp.resolve(name);
    try (NDManager m = NDManager.newBaseManager();
        VisionLanguageModel vlm =
            RandomWeights.vlm(VlmFixtures.teacher(), m, DataType.FLOAT32, 1, 0.02)) {
      VlmIo.save(vlm, dir);
    }
    return dir;
  }

  private static void assertLoadFails(Path dir, String... parts) {
    try (NDManager m = NDManager.newBaseManager()) {
      BadInputException e =
          assertThrows(BadInputException.class, () -> VlmIo.load(dir, m, DataType.FLOAT32));
      for (String p : parts) {
        assertTrue(e.getMessage().contains(p), e.getMessage() + " should contain " + p);
      }
      assertEquals(0, m.getManagedArrays().size(), "a failed load frees what it loaded");
    }
  }

  @Test
  void missingUnexpectedAndMisShapedTensorsAreNamed() {
    Path missing = saved("missing");
    rewrite(missing, "embedding_model.vision_embeddings.class_embedding", sw -> {});
    assertLoadFails(missing, "missing tensor 'embedding_model.vision_embeddings.class_embedding'");

    Path missingLayer = saved("missingLayer");
    rewrite(missingLayer, "language_model.model.layers.1.feed_forward.w2.weight", sw -> {});
    assertLoadFails(
        missingLayer, "missing tensor 'language_model.model.layers.1.feed_forward.w2.weight'");

    Path extra = saved("extra");
    rewrite(
        extra,
        null,
        sw ->
            sw.addFloats(
                "embedding_model.special_text_embeddings.weight",
                new long[] {2, 16},
                new float[32]));
    assertLoadFails(extra, "unexpected tensor 'embedding_model.special_text_embeddings.weight'");

    Path shape = saved("shape");
    rewrite(
        shape,
        "embedding_model.vision_embeddings.position_embedding",
        sw ->
            sw.addFloats(
                "embedding_model.vision_embeddings.position_embedding",
                new long[] {1, 16, 16},
                new float[256]));
    assertLoadFails(
        shape,
        "'embedding_model.vision_embeddings.position_embedding' has shape [1, 16, 16]",
        "expected [1, 17, 16]");
  }

  @Test
  void configThatDisagreesWithTheTensorsIsReported() throws Exception {
    Path dir = saved("cfg");
    VlmConfig c = VlmFixtures.teacher();
    VlmConfig other = new VlmConfig(16, 2, 3, 0.5, 2, c.stack(), 5, 3, 4);
    Files.writeString(dir.resolve("config.json"), VlmConfigs.toJsonString(other));
    assertLoadFails(
        dir, "patch_embedding.weight", "has shape [16, 3, 4, 4]", "expected [16, 3, 2, 2]");
    Files.writeString(
        dir.resolve("config.json"),
        VlmConfigs.toJsonString(c)
            .replaceFirst("\"rope_theta\" : 10000.0", "\"rope_theta\" : 20000.0"));
    assertLoadFails(dir, "rope_theta");
  }
}
