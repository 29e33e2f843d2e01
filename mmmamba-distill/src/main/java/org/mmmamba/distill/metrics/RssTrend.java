package org.mmmamba.distill.metrics;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Detects steadily growing memory: the least-squares slope of (step, bytes) samples over a sliding
 * window of the last {@code windowSteps} optimiser steps. A leak or an allocator that never gives
 * memory back shows as a positive slope that stays; noise (one large batch, a cache filling once)
 * averages out over the window.
 *
 * <p>The check of {@link MemoryWatch}: the window's slope above the bound and each half's slope
 * above half the bound, so a one-time jump does not count as growth.
 *
 * <p>{@code slope = sum((s - mean_s)(b - mean_b)) / sum((s - mean_s)^2)} in bytes per step,
 * computed in doubles from samples centred on the window's first step (no cancellation for steps in
 * the millions).
 */
public final class RssTrend {
  private final long windowSteps;
  private final int minSamples;
  private final ArrayDeque<long[]> samples = new ArrayDeque<>();

  /**
   * @param windowSteps samples older than this many steps before the newest one leave the window
   * @param minSamples fewest samples for a slope (at least 3)
   */
  public RssTrend(long windowSteps, int minSamples) {
    if (windowSteps < 1 || minSamples < 3) {
      throw new IllegalArgumentException("windowSteps >= 1 and minSamples >= 3 required");
    }
    this.windowSteps = windowSteps;
    this.minSamples = minSamples;
  }

  /** Adds a sample; steps must increase. */
  public void add(long step, long bytes) {
    if (!samples.isEmpty() && step <= samples.peekLast()[0]) {
      throw new IllegalArgumentException(
          "steps must increase: " + step + " after " + samples.peekLast()[0]);
    }
    samples.addLast(new long[] {step, bytes});
    while (step - samples.peekFirst()[0] > windowSteps) {
      samples.removeFirst();
    }
  }

  /** Samples in the window. */
  public int size() {
    return samples.size();
  }

  /** Steps between the window's first and last sample (0 when empty). */
  public long span() {
    return samples.isEmpty() ? 0 : samples.peekLast()[0] - samples.peekFirst()[0];
  }

  /**
   * Least-squares slope in bytes per step over the window; NaN with fewer than {@code minSamples}
   * samples.
   */
  public double slope() {
    return samples.size() < minSamples ? Double.NaN : slope(List.copyOf(samples));
  }

  /**
   * The slopes of the window's older and newer halves (split at the middle step), each NaN with
   * fewer than 3 samples. A steady growth shows in both; a one-time jump (a cache filling once) in
   * at most one.
   */
  public double[] halfSlopes() {
    if (samples.size() < minSamples) {
      return new double[] {Double.NaN, Double.NaN};
    }
    long mid = samples.peekFirst()[0] + span() / 2;
    List<long[]> older = new ArrayList<>();
    List<long[]> newer = new ArrayList<>();
    for (long[] x : samples) {
      (x[0] <= mid ? older : newer).add(x);
    }
    return new double[] {
      older.size() < 3 ? Double.NaN : slope(older), newer.size() < 3 ? Double.NaN : slope(newer)
    };
  }

  private static double slope(List<long[]> xs) {
    int n = xs.size();
    long s0 = xs.get(0)[0];
    long b0 = xs.get(0)[1];
    double ms = 0;
    double mb = 0;
    for (long[] x : xs) {
      ms += (double) (x[0] - s0) / n;
      mb += (double) (x[1] - b0) / n;
    }
    double sxy = 0;
    double sxx = 0;
    for (long[] x : xs) {
      double ds = (x[0] - s0) - ms;
      sxy += ds * ((x[1] - b0) - mb);
      sxx += ds * ds;
    }
    return sxx == 0 ? Double.NaN : sxy / sxx;
  }

  /** The oldest and newest bytes in the window ({@code {-1, -1}} when empty). */
  public long[] firstAndLast() {
    return samples.isEmpty()
        ? new long[] {-1, -1}
        : new long[] {samples.peekFirst()[1], samples.peekLast()[1]};
  }
}
