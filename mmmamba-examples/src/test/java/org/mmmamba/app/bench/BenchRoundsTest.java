package org.mmmamba.app.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Decode rounds: alternating context order, and the pooling of their step times. */
class BenchRoundsTest {
  @Test
  void roundsAlternateTheContextOrder() {
    BenchConfig c = BenchConfig.load(BenchSmokeTest.repoFile("configs/bench/smoke.yaml"));
    List<String> order =
        Bench.points(c, BenchModel.LINEAR).stream()
            .map(p -> p.phase().id() + " " + p.length())
            .toList();
    assertEquals(
        List.of(
            "decode 16",
            "decode 64",
            "decode 64",
            "decode 16",
            "prefill 16",
            "prefill 64",
            "prefill 128",
            "table2 16"),
        order);
  }

  @Test
  void poolingTakesEveryStepTheHighestPeakAndTheLowestBaseline() {
    BenchResult a = decode(64, List.of(1.0, 2.0), 500, 100);
    BenchResult b = decode(64, List.of(4.0, 3.0), 400, 90);
    BenchResult p = BenchResult.pooled(List.of(a, b));
    assertEquals(List.of(1.0, 2.0, 4.0, 3.0), p.samplesMs());
    assertEquals(4, p.repeats());
    assertEquals(2.5, p.latencyMs(), 1e-12);
    assertEquals(1.0, p.latencyMinMs());
    assertEquals(4.0, p.latencyMaxMs());
    assertEquals(1.75, p.latencyQ1Ms(), 1e-12);
    assertEquals(500, p.peakBytes());
    assertEquals(90, p.baselineBytes());
    assertEquals(400.0, p.tokensPerS(), 1e-9);
    assertThrows(
        IllegalArgumentException.class,
        () -> BenchResult.pooled(List.of(a, decode(16, List.of(1.0), 1, 1))));
  }

  private static BenchResult decode(int context, List<Double> samples, long peak, long baseline) {
    Stats t = Stats.of(samples.stream().mapToDouble(Double::doubleValue).toArray());
    return BenchResult.measured(
        BenchModel.LINEAR,
        Phase.DECODE,
        context,
        t,
        new BenchResult.MemoryWindow(baseline, peak, true),
        1000,
        2000,
        1e3 / t.median(),
        null,
        null,
        null,
        samples);
  }
}
