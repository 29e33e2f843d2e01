package org.mmmamba.app.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.config.LayerKind;
import org.mmmamba.core.io.CheckpointReader;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.ModelIo;
import org.mmmamba.core.model.RandomWeights;
import org.mmmamba.core.model.Weights;
import org.mmmamba.core.seed.InitStrategy;
import org.mmmamba.core.seed.Seeder;
import picocli.CommandLine;

/** {@code mmmamba convert} end to end, then {@code mmmamba logits} on the student it wrote. */
class ConvertCommandTest {
  static {
    Offline.init();
  }

  static final DecoderConfig TEACHER = DecoderConfig.llama(41, 32, 4, 4, 2, 8, 48);

  /** Runs the CLI; returns {exit code, stderr}. */
  static Object[] run(String... args) {
    CommandLine cl = Main.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Object[] {code, err.toString()};
  }

  static Path teacher(Path dir) throws Exception {
    try (NDManager m = NDManager.newBaseManager();
        Weights w = RandomWeights.create(TEACHER, m, DataType.FLOAT32, 4, 0.2)) {
      ModelIo.save(TEACHER, w, dir);
    }
    Files.writeString(dir.resolve("tokenizer.json"), "{\"fake\": true}");
    return dir;
  }

  @Test
  void convertWritesAStudentThatLogitsRuns(@TempDir Path tmp) throws Exception {
    Path t = teacher(tmp.resolve("teacher"));
    Path s = tmp.resolve("student");
    Object[] r =
        run(
            "convert",
            "--teacher",
            t.toString(),
            "--layout",
            "head-interleaved:2",
            "--init",
            "inherit_mimic",
            "--seed",
            "5",
            "--conv-kernel",
            "3",
            "--chunk-size",
            "4",
            "--out",
            s.toString());
    assertEquals(0, r[0], (String) r[1]);

    ObjectMapper om = new ObjectMapper();
    JsonNode cfg = om.readTree(Files.readAllBytes(s.resolve("config.json")));
    assertEquals("mmmamba", cfg.get("model_type").asText());
    assertEquals(
        "[\"mha\",\"mamba2\",\"mha\",\"mamba2\"]", cfg.get("layers_block_type").toString());
    assertEquals(3, cfg.get("d_conv").asInt());
    assertEquals(4, cfg.get("chunk_size").asInt());
    JsonNode seeding = om.readTree(Files.readAllBytes(s.resolve("seeding.json")));
    assertEquals("head-interleaved:2", seeding.get("layout").asText());
    assertEquals("inherit_mimic", seeding.get("init").asText());
    assertEquals(5, seeding.get("seed").asLong());
    assertEquals("{\"fake\": true}", Files.readString(s.resolve("tokenizer.json")));

    // the CLI's student is the API's student
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel teacher = ModelIo.load(t, m, DataType.FLOAT32);
        DecoderModel want =
            Seeder.seed(
                teacher.config(),
                teacher.weights(),
                HybridLayout.parse("head-interleaved:2"),
                InitStrategy.INHERIT_MIMIC,
                5,
                3,
                4,
                m);
        DecoderModel got = ModelIo.load(s, m, DataType.FLOAT32)) {
      assertEquals(want.config(), got.config());
      assertEquals(
          List.of(LayerKind.ATTENTION, LayerKind.MAMBA2, LayerKind.ATTENTION, LayerKind.MAMBA2),
          got.config().layerKinds());
      for (String n : want.weights().names()) {
        assertArrayEquals(
            want.weights().get(n).toFloatArray(), got.weights().get(n).toFloatArray(), n);
      }

      // mmmamba logits on the student
      Path ids = tmp.resolve("ids.json");
      Files.writeString(ids, "{\"input_ids\": [[1, 5, 9, 40, 0, 3, 7], [2, 2, 8, 13, 21, 34, 1]]}");
      Path logits = tmp.resolve("logits.safetensors");
      r =
          run(
              "logits",
              "--model",
              s.toString(),
              "--input-ids",
              ids.toString(),
              "--out",
              logits.toString(),
              "--device",
              "cpu");
      assertEquals(0, r[0], (String) r[1]);
      float[] expected =
          got.forward(got.ids(m, new long[][] {{1, 5, 9, 40, 0, 3, 7}, {2, 2, 8, 13, 21, 34, 1}}))
              .toFloatArray();
      try (CheckpointReader rd = CheckpointReader.open(logits)) {
        assertArrayEquals(new long[] {2, 7, 41}, rd.info("logits").shape());
        float[] actual = rd.readFloats("logits");
        float scale = 0;
        for (float e : expected) {
          scale = Math.max(scale, Math.abs(e));
        }
        assertTrue(scale > 0);
        assertArrayEquals(expected, actual, 1e-5f * scale);
      }
    }
  }

  @Test
  void refusesANonEmptyOutUnlessForced(@TempDir Path tmp) throws Exception {
    Path t = teacher(tmp.resolve("teacher"));
    Path s = tmp.resolve("student");
    Files.createDirectories(s);
    Files.writeString(s.resolve("notes.txt"), "keep me");
    Object[] r = run("convert", "--teacher", t.toString(), "--out", s.toString());
    assertEquals(2, r[0]);
    assertTrue(((String) r[1]).contains("not empty"), (String) r[1]);
    assertTrue(Files.notExists(s.resolve("config.json")));
    r =
        run(
            "convert",
            "--teacher",
            t.toString(),
            "--out",
            s.toString(),
            "--force",
            "--init",
            "inherit");
    assertEquals(0, r[0], (String) r[1]);
    assertTrue(Files.exists(s.resolve("model.safetensors")));
    assertEquals("keep me", Files.readString(s.resolve("notes.txt")));
    r = run("convert", "--teacher", t.toString(), "--out", t.toString(), "--force");
    assertEquals(2, r[0]);
    assertTrue(((String) r[1]).contains("teacher's directory"), (String) r[1]);
  }

  @Test
  void badLayoutInitOrTeacherExitWithTwo(@TempDir Path tmp) throws Exception {
    Path t = teacher(tmp.resolve("teacher"));
    Object[] r =
        run(
            "convert",
            "--teacher",
            t.toString(),
            "--layout",
            "head-interleaved:9",
            "--out",
            tmp.resolve("a").toString());
    assertEquals(2, r[0]);
    assertTrue(((String) r[1]).contains("layout 'head-interleaved:9'"), (String) r[1]);
    r =
        run(
            "convert",
            "--teacher",
            t.toString(),
            "--layout",
            "[1,1]",
            "--out",
            tmp.resolve("b").toString());
    assertEquals(2, r[0]);
    assertTrue(((String) r[1]).contains("listed twice"), (String) r[1]);
    r =
        run(
            "convert",
            "--teacher",
            t.toString(),
            "--init",
            "mimic",
            "--out",
            tmp.resolve("c").toString());
    assertEquals(2, r[0]);
    assertTrue(((String) r[1]).contains("init 'mimic'"), (String) r[1]);
    r =
        run(
            "convert",
            "--teacher",
            tmp.resolve("nope").toString(),
            "--out",
            tmp.resolve("d").toString());
    assertEquals(2, r[0]);
    assertTrue(((String) r[1]).contains("teacher directory not found"), (String) r[1]);
    assertTrue(Files.notExists(tmp.resolve("a")) && Files.notExists(tmp.resolve("b")));
  }
}
