package org.mmmamba.distill.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The best mid-run point and the curve read back from metrics.jsonl. */
class MidRunCurveTest {
  @TempDir Path tmp;

  static MidRunEvaluation.Point p(long step, double em, double agree, double kl) {
    return new MidRunEvaluation.Point(
        step, Map.of("exact_match", em, "agreement", agree, "kl", kl));
  }

  @Test
  void bestIsHighestExactMatchThenAgreementThenLowestKlThenEarliest() {
    assertEquals(
        20, MidRunEvaluation.best(List.of(p(10, 0.5, 0.9, 0.1), p(20, 0.6, 0.1, 9))).step());
    assertEquals(
        10, MidRunEvaluation.best(List.of(p(10, 0.6, 0.7, 0.5), p(20, 0.6, 0.6, 0.1))).step());
    assertEquals(
        20, MidRunEvaluation.best(List.of(p(10, 0.6, 0.7, 0.5), p(20, 0.6, 0.7, 0.4))).step());
    assertEquals(
        10, MidRunEvaluation.best(List.of(p(20, 0.6, 0.7, 0.4), p(10, 0.6, 0.7, 0.4))).step());
    assertNull(MidRunEvaluation.best(List.of()));
  }

  @Test
  void curveComesFromTheEvalEventsOfMetricsJsonl() throws Exception {
    Path f = tmp.resolve("metrics.jsonl");
    Files.writeString(
        f,
        String.join(
            "\n",
            "{\"step\":1,\"loss\":3.0}",
            "{\"event\":\"eval\",\"step\":2,\"exact_match\":0.25,\"agreement\":0.5,\"kl\":1.5}",
            "{\"event\":\"checkpoint\",\"step\":2}",
            "{\"event\":\"eval\",\"step\":4,\"exact_match\":0.75,\"agreement\":0.5,\"kl\":0.5}",
            "{\"event\":\"eval\",\"step\":6,\"exact_m"));
    ObjectNode o = MidRunCurve.json(f);
    assertEquals(2, o.get("points").size());
    assertEquals(4, o.get("best_step").asLong());
    assertEquals(0.75, o.get("best").get("exact_match").asDouble());
    assertNull(MidRunCurve.json(tmp.resolve("missing.jsonl")));
  }
}
