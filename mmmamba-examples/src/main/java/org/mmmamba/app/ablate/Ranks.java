package org.mmmamba.app.ablate;

import java.util.Arrays;

/**
 * Rankings of table rows and Spearman's rank correlation between two rankings. Rank 1 is the
 * highest value (every score here is higher-is-better); ties share the mean of the ranks they span
 * (fractional ranking), and Spearman's rho is the Pearson correlation of those ranks, which handles
 * ties. {@link #spearmanNoTies} is the textbook 1 - 6 sum d^2 / (n (n^2 - 1)) twin, equal to it
 * when there are no ties.
 */
public final class Ranks {
  private Ranks() {}

  /** Fractional ranks, 1 = largest; ties get the mean of their positions. */
  public static double[] descending(double[] v) {
    int n = v.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(v[b], v[a]));
    double[] rank = new double[n];
    int i = 0;
    while (i < n) {
      int j = i;
      while (j + 1 < n && v[order[j + 1]] == v[order[i]]) {
        j++;
      }
      double mean = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) {
        rank[order[k]] = mean;
      }
      i = j + 1;
    }
    return rank;
  }

  /**
   * Spearman's rho of two score lists of equal length (Pearson correlation of their fractional
   * ranks); NaN when fewer than 2 pairs or when either list is constant.
   */
  public static double spearman(double[] a, double[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("lengths differ: " + a.length + " vs " + b.length);
    }
    if (a.length < 2) {
      return Double.NaN;
    }
    return pearson(descending(a), descending(b));
  }

  /** The textbook formula 1 - 6 sum d^2 / (n (n^2 - 1)); exact only without ties. */
  static double spearmanNoTies(double[] a, double[] b) {
    double[] ra = descending(a);
    double[] rb = descending(b);
    int n = a.length;
    double d2 = 0;
    for (int i = 0; i < n; i++) {
      d2 += (ra[i] - rb[i]) * (ra[i] - rb[i]);
    }
    return 1 - 6 * d2 / ((double) n * ((double) n * n - 1));
  }

  static double pearson(double[] x, double[] y) {
    int n = x.length;
    double mx = 0;
    double my = 0;
    for (int i = 0; i < n; i++) {
      mx += x[i] / n;
      my += y[i] / n;
    }
    double sxy = 0;
    double sxx = 0;
    double syy = 0;
    for (int i = 0; i < n; i++) {
      sxy += (x[i] - mx) * (y[i] - my);
      sxx += (x[i] - mx) * (x[i] - mx);
      syy += (y[i] - my) * (y[i] - my);
    }
    if (sxx == 0 || syy == 0) {
      return Double.NaN;
    }
    return sxy / Math.sqrt(sxx * syy);
  }
}
