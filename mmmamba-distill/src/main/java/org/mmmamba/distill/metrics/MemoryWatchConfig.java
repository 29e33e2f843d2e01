package org.mmmamba.distill.metrics;

import java.util.Map;
import org.mmmamba.core.BadInputException;

/**
 * Settings of the training memory watchdog ({@link MemoryWatch}), read once from the environment
 * (docs/config.md, "Memory watchdog"):
 *
 * <ul>
 *   <li>{@code MMMAMBA_MEMORY_EVERY} (default 20): log resident memory (and GPU memory on CUDA)
 *       into metrics.jsonl every this many optimiser steps; 0 turns the watchdog off.
 *   <li>{@code MMMAMBA_MEMORY_WINDOW} (default 400): the sliding window, in steps, of the growth
 *       check.
 *   <li>{@code MMMAMBA_MEMORY_MAX_SLOPE_MB} (default 1.0): warn when the least-squares slope of
 *       resident memory over the window exceeds this many MiB per step (1 MiB/step is 20 GiB over
 *       the paper's 20,000 steps).
 *   <li>{@code MMMAMBA_MEMORY_WARMUP} (default 100): steps before the first sample of the growth
 *       check (caches fill and the JIT warms up there).
 * </ul>
 *
 * @param every steps between samples, 0 = off
 * @param windowSteps window of the slope
 * @param maxSlopeBytesPerStep warning threshold in bytes per step
 * @param warmupSteps steps ignored by the growth check
 */
public record MemoryWatchConfig(
    int every, int windowSteps, double maxSlopeBytesPerStep, int warmupSteps) {
  /** Bytes in a MiB. */
  public static final double MIB = 1024.0 * 1024.0;

  /** Checks the values once. */
  public MemoryWatchConfig {
    if (every < 0) {
      throw new BadInputException("MMMAMBA_MEMORY_EVERY: must be >= 0 (0 = off), got " + every);
    }
    if (windowSteps < 1 || (every > 0 && windowSteps < 3 * every)) {
      throw new BadInputException(
          "MMMAMBA_MEMORY_WINDOW: must be at least 3 x MMMAMBA_MEMORY_EVERY ("
              + 3 * every
              + "), got "
              + windowSteps);
    }
    if (!(maxSlopeBytesPerStep > 0) || Double.isInfinite(maxSlopeBytesPerStep)) {
      throw new BadInputException(
          "MMMAMBA_MEMORY_MAX_SLOPE_MB: must be a positive number, got "
              + maxSlopeBytesPerStep / MIB);
    }
    if (warmupSteps < 0) {
      throw new BadInputException("MMMAMBA_MEMORY_WARMUP: must be >= 0, got " + warmupSteps);
    }
  }

  /** The defaults: every 20 steps, a 400-step window, 1 MiB/step, 100 warm-up steps. */
  public static MemoryWatchConfig defaults() {
    return new MemoryWatchConfig(20, 400, 1.0 * MIB, 100);
  }

  /** From the process environment. */
  public static MemoryWatchConfig fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  /** From the given environment (tests); unset variables take the defaults. */
  public static MemoryWatchConfig fromEnvironment(Map<String, String> env) {
    MemoryWatchConfig d = defaults();
    int every = intVar(env, "MMMAMBA_MEMORY_EVERY", d.every());
    int window = intVar(env, "MMMAMBA_MEMORY_WINDOW", d.windowSteps());
    double slope =
        doubleVar(env, "MMMAMBA_MEMORY_MAX_SLOPE_MB", d.maxSlopeBytesPerStep() / MIB) * MIB;
    int warmup = intVar(env, "MMMAMBA_MEMORY_WARMUP", d.warmupSteps());
    return new MemoryWatchConfig(every, window, slope, warmup);
  }

  private static int intVar(Map<String, String> env, String name, int dflt) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    try {
      return Integer.parseInt(v.strip());
    } catch (NumberFormatException e) {
      throw new BadInputException(name + ": not an integer: '" + v + "'");
    }
  }

  private static double doubleVar(Map<String, String> env, String name, double dflt) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    try {
      return Double.parseDouble(v.strip());
    } catch (NumberFormatException e) {
      throw new BadInputException(name + ": not a number: '" + v + "'");
    }
  }
}
