package org.mmmamba.core.official;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.mmmamba.core.Fixtures;
import org.mmmamba.core.io.SafetensorsFile;

/**
 * The fixtures of scripts/fixtures/make_official_fixtures.py: tiny HoVLE / mmMamba-linear /
 * mmMamba-hybrid checkpoints in their published layouts with references computed by the official
 * hustvl/mmMamba code.
 */
final class OfficialFixtures {
  static final String[] MODELS = {"hovle", "mmmamba_linear", "mmmamba_hybrid"};

  private OfficialFixtures() {}

  static Path root() {
    return Fixtures.dir("official/hovle").getParent();
  }

  static Path model(String name) {
    return root().resolve(name);
  }

  static Path tokenizer() {
    return root().resolve("tokenizer");
  }

  static JsonNode json(Path p) {
    try {
      return new ObjectMapper().readTree(p.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode reference(String name) {
    return json(model(name).resolve("reference.json"));
  }

  static double[] logits(String name, String which) {
    try (SafetensorsFile f = SafetensorsFile.open(model(name).resolve("reference.safetensors"))) {
      return f.readDoubles("logits_" + which);
    }
  }

  /** The official preprocessing output (T, 3, S, S), float32. */
  static float[] pixelValues() {
    try (SafetensorsFile f =
        SafetensorsFile.open(model("hovle").resolve("reference.safetensors"))) {
      return f.readFloats("pixel_values");
    }
  }

  static long[] longs(JsonNode arr) {
    long[] out = new long[arr.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = arr.get(i).asLong();
    }
    return out;
  }

  static double maxAbsDiff(double[] a, double[] b) {
    if (a.length != b.length) {
      throw new AssertionError("length " + a.length + " vs " + b.length);
    }
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }
}
