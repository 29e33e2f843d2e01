package org.mmmamba.core.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from one row of logits: argmax, or temperature + top-p sampling with a
 * seeded RNG.
 */
public final class Sampler {
  private final GenerationConfig cfg;
  private final SplittableRandom rng;

  /** A sampler for one generation call. */
  public Sampler(GenerationConfig cfg) {
    this.cfg = cfg;
    this.rng = new SplittableRandom(cfg.seed());
  }

  /**
   * The next token id for {@code logits} (length V). Ties in argmax go to the lowest id, as torch
   * does.
   */
  public int next(double[] logits) {
    if (cfg.greedy()) {
      return argmax(logits);
    }
    int v = logits.length;
    double max = logits[argmax(logits)];
    double[] p = new double[v];
    double sum = 0;
    for (int i = 0; i < v; i++) {
      p[i] = Math.exp((logits[i] - max) / cfg.temperature());
      sum += p[i];
    }
    Integer[] order = new Integer[v];
    for (int i = 0; i < v; i++) {
      order[i] = i;
      p[i] /= sum;
    }
    Arrays.sort(
        order,
        (a, b) ->
            Double.compare(p[b], p[a]) != 0 ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
    // Keep the smallest prefix whose mass reaches top_p (at least one token).
    double mass = 0;
    int keep = 0;
    while (keep < v && (keep == 0 || mass < cfg.topP())) {
      mass += p[order[keep]];
      keep++;
    }
    double u = rng.nextDouble() * mass;
    double acc = 0;
    for (int k = 0; k < keep; k++) {
      acc += p[order[k]];
      if (u < acc) {
        return order[k];
      }
    }
    return order[keep - 1];
  }

  /** Index of the largest value (first on ties). */
  public static int argmax(double[] x) {
    int best = 0;
    for (int i = 1; i < x.length; i++) {
      if (x[i] > x[best]) {
        best = i;
      }
    }
    return best;
  }
}
