package org.mmmamba.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.mmmamba.core.io.CheckpointReader;

/** Access to the HF reference fixtures made by scripts/fixtures/make_hf_fixtures.py. */
public final class Fixtures {
  private Fixtures() {}

  /** The fixture directory. */
  public static Path dir(String name) {
    try {
      return Path.of(Fixtures.class.getResource("/fixtures/" + name + "/config.json").toURI())
          .getParent();
    } catch (URISyntaxException | NullPointerException e) {
      throw new IllegalStateException("fixture not found: " + name, e);
    }
  }

  /** inputs.json rows. */
  public static long[][] inputs(String name) {
    return rows(json(dir(name).resolve("inputs.json")).get("input_ids"));
  }

  /** greedy.json sequences. */
  public static long[][] greedy(String name) {
    return rows(json(dir(name).resolve("greedy.json")).get("sequences"));
  }

  /** greedy.json max_new_tokens. */
  public static int greedyNewTokens(String name) {
    return json(dir(name).resolve("greedy.json")).get("max_new_tokens").asInt();
  }

  /** expected logits, flattened [B, L, V] float64. */
  public static double[] expectedLogits(String name) {
    try (CheckpointReader r = CheckpointReader.open(dir(name).resolve("expected.safetensors"))) {
      return r.readDoubles("logits");
    }
  }

  static JsonNode json(Path p) {
    try {
      return new ObjectMapper().readTree(Files.readAllBytes(p));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static long[][] rows(JsonNode n) {
    long[][] out = new long[n.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = new long[n.get(i).size()];
      for (int j = 0; j < out[i].length; j++) {
        out[i][j] = n.get(i).get(j).asLong();
      }
    }
    return out;
  }

  /** max |a - b| / max |b|. */
  public static double relError(double[] a, double[] b) {
    if (a.length != b.length) {
      throw new AssertionError("length " + a.length + " != " + b.length);
    }
    double err = 0;
    double scale = 0;
    for (int i = 0; i < a.length; i++) {
      err = Math.max(err, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(b[i]));
    }
    return err / scale;
  }
}
