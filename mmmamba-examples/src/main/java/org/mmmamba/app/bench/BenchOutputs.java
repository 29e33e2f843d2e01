package org.mmmamba.app.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.mmmamba.core.io.AtomicText;

/**
 * Writes a {@link BenchReport} as bench.json, bench.csv, bench.md and PNG plots, each file
 * atomically.
 */
final class BenchOutputs {
  private BenchOutputs() {}

  /** The JSON mapper of the outputs (snake_case keys, indented). */
  static ObjectMapper mapper() {
    ObjectMapper om = new ObjectMapper();
    om.setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    om.enable(SerializationFeature.INDENT_OUTPUT);
    return om;
  }

  static void write(BenchReport r, Path dir) {
    AtomicText.writeString(dir.resolve("bench.json"), json(r));
    AtomicText.writeString(dir.resolve("bench.csv"), csv(r.results()));
    AtomicText.writeString(dir.resolve("bench.md"), BenchMarkdown.render(r));
    BenchPlots.write(r, dir);
  }

  static String json(BenchReport r) {
    try {
      return mapper().writeValueAsString(r) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static final List<String> CSV_COLUMNS =
      List.of(
          "model",
          "phase",
          "context",
          "repeats",
          "latency_ms",
          "latency_min_ms",
          "latency_max_ms",
          "latency_q1_ms",
          "latency_q3_ms",
          "floor_ms",
          "floor_ratio",
          "peak_bytes",
          "baseline_bytes",
          "cache_bytes",
          "weights_bytes",
          "tokens_per_s",
          "prefill_ms",
          "decode_ms",
          "device",
          "precision",
          "batch");

  static String csv(List<BenchResult> results) {
    StringBuilder sb = new StringBuilder(String.join(",", CSV_COLUMNS)).append('\n');
    for (BenchResult x : results) {
      Object[] row = {
        x.model().id(),
        x.phase().id(),
        x.context(),
        x.repeats(),
        x.latencyMs(),
        x.latencyMinMs(),
        x.latencyMaxMs(),
        x.latencyQ1Ms(),
        x.latencyQ3Ms(),
        x.floorMs(),
        x.floorRatio(),
        x.peakBytes(),
        x.baselineBytes(),
        x.cacheBytes(),
        x.weightsBytes(),
        x.tokensPerS(),
        x.prefillMs(),
        x.decodeMs(),
        x.device(),
        x.precision(),
        x.batch()
      };
      for (int i = 0; i < row.length; i++) {
        if (i > 0) {
          sb.append(',');
        }
        Object v = row[i];
        if (v instanceof Double d) {
          sb.append(String.format(Locale.ROOT, "%.4f", d));
        } else if (v != null) {
          sb.append(v);
        }
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  /** Bytes as "1.23 GiB" ("n/a" when unknown). */
  static String gib(long bytes) {
    return bytes < 0 ? "n/a" : String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
  }

  /** Machine map value or "?" */
  static String str(Map<String, Object> m, String k) {
    return Optional.ofNullable(m.get(k)).map(String::valueOf).orElse("?");
  }
}
