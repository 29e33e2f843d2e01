package org.mmmamba.distill.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The mid-run evaluation points of one stage-3 run, read back from its {@code metrics.jsonl}
 * ({@code {"event":"eval","step":N,"exact_match":..,"agreement":..,"kl":..}} lines), so a resumed
 * run's curve is the whole curve; and its best step (see {@link MidRunEvaluation#best}).
 */
public final class MidRunCurve {
  private static final ObjectMapper JSON = new ObjectMapper();

  private MidRunCurve() {}

  /**
   * The eval points of {@code metricsJsonl}, in file order; empty when the file is missing or holds
   * none.
   *
   * @param metricsJsonl a run's metrics.jsonl
   * @return the points
   */
  public static List<MidRunEvaluation.Point> read(Path metricsJsonl) {
    List<MidRunEvaluation.Point> out = new ArrayList<>();
    if (!Files.isRegularFile(metricsJsonl)) {
      return out;
    }
    try {
      for (String line : Files.readAllLines(metricsJsonl, StandardCharsets.UTF_8)) {
        JsonNode n;
        try {
          n = JSON.readTree(line);
        } catch (JsonProcessingException e) {
          continue; // a torn last line
        }
        if (n == null || !"eval".equals(n.path("event").asText()) || !n.path("step").isNumber()) {
          continue;
        }
        Map<String, Double> f = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          if (e.getValue().isNumber() && !e.getKey().equals("step")) {
            f.put(e.getKey(), e.getValue().asDouble());
          }
        }
        out.add(new MidRunEvaluation.Point(n.get("step").asLong(), f));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + metricsJsonl + ": " + e, e);
    }
    return out;
  }

  /**
   * {@code {"points": [{"step": .., "exact_match": .., ...}], "best_step": N, "best": {...}}}, or
   * null without points.
   *
   * @param metricsJsonl a run's metrics.jsonl
   * @return the JSON node, or null
   */
  public static ObjectNode json(Path metricsJsonl) {
    List<MidRunEvaluation.Point> pts = read(metricsJsonl);
    if (pts.isEmpty()) {
      return null;
    }
    ObjectNode o = JSON.createObjectNode();
    ArrayNode arr = o.putArray("points");
    for (MidRunEvaluation.Point p : pts) {
      ObjectNode x = arr.addObject().put("step", p.step());
      p.figures().forEach(x::put);
    }
    MidRunEvaluation.Point best = MidRunEvaluation.best(pts);
    o.put("best_step", best.step());
    ObjectNode b = o.putObject("best");
    best.figures().forEach(b::put);
    return o;
  }
}
