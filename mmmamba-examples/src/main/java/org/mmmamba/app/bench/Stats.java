package org.mmmamba.app.bench;

import java.util.Arrays;

/**
 * Summary of repeated timings: median, min, max and quartiles (linear interpolation between order
 * statistics).
 *
 * @param median the reported figure
 * @param min fastest run
 * @param max slowest run
 * @param q1 25th percentile
 * @param q3 75th percentile
 * @param n number of runs
 */
public record Stats(double median, double min, double max, double q1, double q3, int n) {
  /** Summarises {@code xs} (at least one value). */
  public static Stats of(double[] xs) {
    if (xs.length == 0) {
      throw new IllegalArgumentException("no samples");
    }
    double[] s = xs.clone();
    Arrays.sort(s);
    return new Stats(
        quantile(s, 0.5), s[0], s[s.length - 1], quantile(s, 0.25), quantile(s, 0.75), s.length);
  }

  /** Quantile q of sorted values, interpolating between neighbours. */
  static double quantile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(sorted.length - 1, lo + 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  }
}
