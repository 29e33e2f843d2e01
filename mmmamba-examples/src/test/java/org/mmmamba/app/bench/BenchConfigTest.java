package org.mmmamba.app.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.BadInputException;

/** Strict binding of bench YAML: each error names the file, the key and the line. */
class BenchConfigTest {
  static String smoke() throws Exception {
    return Files.readString(BenchSmokeTest.repoFile("configs/bench/smoke.yaml"));
  }

  @Test
  void shippedConfigsLoad() {
    BenchConfig cpu = BenchConfig.load(BenchSmokeTest.repoFile("configs/bench/cpu.yaml"));
    assertEquals(512, cpu.model().dModel());
    assertEquals(8, cpu.model().layers());
    assertEquals(List.of(1024, 4096, 16384, 65536, 131072), cpu.decode().contexts());
    assertTrue(cpu.decode().warmupSeconds() > 0, "the CPU figures need a warm JIT");
    assertEquals(List.of(BenchModel.TEACHER, BenchModel.LINEAR, BenchModel.HYBRID), cpu.models());
    assertEquals(784, cpu.table2().promptLength());
    BenchConfig smoke = BenchConfig.load(BenchSmokeTest.repoFile("configs/bench/smoke.yaml"));
    assertEquals(List.of(16, 64, 128), smoke.prefillLengths(BenchModel.LINEAR));
    assertEquals(List.of(16, 64), smoke.prefillLengths(BenchModel.TEACHER));
  }

  @Test
  void unknownKeyNamesFileKeyAndLine() throws Exception {
    String y = smoke().replace("  rounds: 2\nprefill:", "  rounds: 2\n  repeets: 3\nprefill:");
    int line = lineOf(y, "repeets");
    BadInputException e =
        assertThrows(BadInputException.class, () -> BenchConfig.parse(y, "x.yaml"));
    assertTrue(
        e.getMessage().startsWith("x.yaml: unknown key 'decode.repeets' at line " + line),
        e.getMessage());
  }

  @Test
  void wrongTypeNamesKeyAndLine() throws Exception {
    String y = smoke().replace("  contexts: [16, 64]", "  contexts: [16, abc]");
    BadInputException e =
        assertThrows(BadInputException.class, () -> BenchConfig.parse(y, "x.yaml"));
    assertTrue(
        e.getMessage()
            .startsWith(
                "x.yaml: bad value for key 'decode.contexts[1]' at line " + lineOf(y, "abc")),
        e.getMessage());
  }

  @Test
  void floatForIntQuotedNumberAndNullAreRejected() throws Exception {
    for (String bad :
        List.of("  d_model: 32.5", "  d_model: \"32\"", "  d_model: null", "  d_model: ~")) {
      String y = smoke().replace("  d_model: 32", bad);
      BadInputException e =
          assertThrows(BadInputException.class, () -> BenchConfig.parse(y, "x.yaml"), bad);
      assertTrue(
          e.getMessage().contains("'model.d_model'")
              && e.getMessage().contains("line " + lineOf(y, "d_model")),
          bad + " -> " + e.getMessage());
    }
  }

  @Test
  void missingKeyAndBadModelName() throws Exception {
    String missing = smoke().replace("seed: 0\n", "");
    BadInputException e =
        assertThrows(BadInputException.class, () -> BenchConfig.parse(missing, "x.yaml"));
    assertTrue(e.getMessage().startsWith("x.yaml: missing key 'seed'"), e.getMessage());
    String badModel =
        smoke().replace("models: [teacher, linear, hybrid]", "models: [teacher, mamba]");
    e = assertThrows(BadInputException.class, () -> BenchConfig.parse(badModel, "x.yaml"));
    assertTrue(
        e.getMessage().contains("'models[1]'")
            && e.getMessage().contains("line " + lineOf(badModel, "mamba")),
        e.getMessage());
  }

  @Test
  void validationNamesTheKey() throws Exception {
    String y =
        smoke().replace("hybrid_attention_layers: [0, 2]", "hybrid_attention_layers: [0, 9]");
    BadInputException e =
        assertThrows(BadInputException.class, () -> BenchConfig.parse(y, "x.yaml"));
    assertTrue(e.getMessage().contains("hybrid_attention_layers[1] = 9"), e.getMessage());
    String z =
        smoke()
            .replace("  repeats: 1\n  rounds: 2\nprefill:", "  repeats: 0\n  rounds: 2\nprefill:");
    e = assertThrows(BadInputException.class, () -> BenchConfig.parse(z, "x.yaml"));
    assertTrue(e.getMessage().contains("decode.repeats must be > 0"), e.getMessage());
    String dup = smoke().replace("  contexts: [16, 64]", "  contexts: [16, 64, 16]");
    e = assertThrows(BadInputException.class, () -> BenchConfig.parse(dup, "x.yaml"));
    assertTrue(e.getMessage().contains("decode.contexts[2] = 16 is listed twice"), e.getMessage());
    String rr = smoke().replace("  rounds: 2", "  rounds: 0");
    e = assertThrows(BadInputException.class, () -> BenchConfig.parse(rr, "x.yaml"));
    assertTrue(e.getMessage().contains("decode.rounds must be > 0"), e.getMessage());
    String w = smoke().replace("  warmup_seconds: 0.05", "  warmup_seconds: -1.0");
    e = assertThrows(BadInputException.class, () -> BenchConfig.parse(w, "x.yaml"));
    assertTrue(
        e.getMessage().contains("decode.warmup_seconds must be a finite number >= 0, got -1.0"),
        e.getMessage());
    assertThrows(BadInputException.class, () -> BenchConfig.load(Path.of("no/such.yaml")));
  }

  private static int lineOf(String text, String needle) {
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].contains(needle)) {
        return i + 1;
      }
    }
    throw new IllegalArgumentException(needle);
  }
}
