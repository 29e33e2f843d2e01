package org.mmmamba.distill.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.BadInputException;

/**
 * The growth detector on synthetic RSS series with known slopes (reference: the series' own
 * definition).
 */
class MemoryWatchTest {
  private static final long MIB = 1L << 20;
  private static final long GIB = 1L << 30;

  @Test
  void slopeOfALinearSeriesIsItsRateAndTheWindowSlides() {
    RssTrend t = new RssTrend(100, 3);
    for (long s = 10; s <= 500; s += 10) {
      t.add(s, 5 * GIB + 3 * MIB * s); // 3 MiB/step
    }
    assertEquals(3.0 * MIB, t.slope(), 1e-6 * MIB);
    assertEquals(100, t.span());
    assertEquals(11, t.size());
    // a series that stops growing: after a full window of flat samples the slope is 0
    for (long s = 510; s <= 700; s += 10) {
      t.add(s, 5 * GIB + 3 * MIB * 500);
    }
    assertEquals(0.0, t.slope(), 1e-9);
    assertThrows(IllegalArgumentException.class, () -> t.add(700, 1));
  }

  @Test
  void fortyMibPerStepWarnsOnceWithItsRate() {
    List<String> warnings = run(s -> 900 * MIB + 40 * MIB * s + noise(s, 50 * MIB), 2000);
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(
        warnings
            .get(0)
            .matches(".*grows by 4\\d\\.\\d MiB/step.*|.*grows by 3[89]\\.\\d MiB/step.*"),
        warnings.get(0));
  }

  @Test
  void noisyFlatSeriesAndSlowGrowthDoNotWarn() {
    // glibc in the issue: between 0.45 and 0.72 GB, no trend
    assertEquals(List.of(), run(s -> 450 * MIB + noise(s, 270 * MIB), 20_000));
    // 0.3 MiB/step: below the 1 MiB/step bound
    assertEquals(List.of(), run(s -> GIB + (long) (0.3 * MIB * s) + noise(s, 20 * MIB), 5000));
  }

  @Test
  void aOneTimeJumpIsNotSteadyGrowth() {
    // +600 MiB at step 1000 (a cache filling once), flat before and after
    assertEquals(List.of(), run(s -> GIB + (s >= 1000 ? 600 * MIB : 0) + noise(s, 10 * MIB), 4000));
  }

  @Test
  void warmUpGrowthIsIgnored() {
    // fast growth in the first 100 steps only
    assertEquals(List.of(), run(s -> GIB + Math.min(s, 100) * 8 * MIB, 3000));
  }

  @Test
  void recordsMemoryKeysOnSampledStepsOnlyAndNeverTouchesCudaOnCpu() {
    MemoryWatch w =
        new MemoryWatch(
            MemoryWatchConfig.defaults(), "t", Device.cpu(), () -> 123, () -> 456, m -> {});
    Map<String, Object> r = new HashMap<>();
    w.afterStep(19, r);
    assertTrue(r.isEmpty());
    w.afterStep(20, r);
    assertEquals(Map.of("rss_bytes", 123L, "rss_peak_bytes", 456L), r);
  }

  @Test
  void configFromEnvironmentValidatesOnceAndNamesTheVariable() {
    assertEquals(MemoryWatchConfig.defaults(), MemoryWatchConfig.fromEnvironment(Map.of()));
    MemoryWatchConfig c =
        MemoryWatchConfig.fromEnvironment(
            Map.of(
                "MMMAMBA_MEMORY_EVERY",
                "50",
                "MMMAMBA_MEMORY_WINDOW",
                "1000",
                "MMMAMBA_MEMORY_MAX_SLOPE_MB",
                "0.5"));
    assertEquals(new MemoryWatchConfig(50, 1000, 0.5 * MIB, 100), c);
    assertFalse(
        new MemoryWatch(new MemoryWatchConfig(0, 400, MIB, 0), "t", null, () -> 1, () -> 1, m -> {})
            .warned());
    BadInputException e =
        assertThrows(
            BadInputException.class,
            () -> MemoryWatchConfig.fromEnvironment(Map.of("MMMAMBA_MEMORY_EVERY", "x")));
    assertTrue(e.getMessage().startsWith("MMMAMBA_MEMORY_EVERY"), e.getMessage());
    e =
        assertThrows(
            BadInputException.class,
            () -> MemoryWatchConfig.fromEnvironment(Map.of("MMMAMBA_MEMORY_WINDOW", "30")));
    assertTrue(e.getMessage().startsWith("MMMAMBA_MEMORY_WINDOW"), e.getMessage());
    e =
        assertThrows(
            BadInputException.class,
            () -> MemoryWatchConfig.fromEnvironment(Map.of("MMMAMBA_MEMORY_MAX_SLOPE_MB", "-1")));
    assertTrue(e.getMessage().startsWith("MMMAMBA_MEMORY_MAX_SLOPE_MB"), e.getMessage());
  }

  /** Runs the default watchdog over {@code steps} steps of the series; returns the warnings. */
  private static List<String> run(LongUnaryOperator rssAtStep, long steps) {
    List<String> warnings = new ArrayList<>();
    long[] step = {0};
    MemoryWatch w =
        new MemoryWatch(
            MemoryWatchConfig.defaults(),
            "stage2",
            Device.cpu(),
            () -> rssAtStep.applyAsLong(step[0]),
            () -> -1,
            warnings::add);
    for (step[0] = 1; step[0] <= steps; step[0]++) {
      w.afterStep(step[0], new HashMap<>());
    }
    return warnings;
  }

  /** Uniform noise in [0, amplitude), a fixed function of the step. */
  private static long noise(long step, long amplitude) {
    return (long) (new Random(step * 7919L).nextDouble() * amplitude);
  }
}
