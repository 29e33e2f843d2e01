package org.mmmamba.distill.optim;

/**
 * A learning-rate schedule: a pure function of the optimiser step index.
 *
 * <p>{@code lr(step)} is the rate used by the optimiser update with 0-based index {@code step},
 * i.e. after {@code step} earlier updates. That is what a {@code LambdaLR} gives in torch when
 * {@code scheduler.step()} follows {@code optimizer.step()}: the first update uses the factor at 0,
 * so a warmup starts at lr 0 (or at {@code minLrRatio} for {@link Wsd}). The formulas are those of
 * Hugging Face transformers' {@code optimization.py}, cited per record.
 */
public sealed interface LrSchedule permits LrSchedule.Constant, LrSchedule.Cosine, LrSchedule.Wsd {
  /** The peak (base) learning rate that the factors multiply. */
  double peakLr();

  /** The factor in [0, 1] at {@code step} (≥ 0). */
  double factor(long step);

  /** The learning rate at 0-based optimiser step {@code step}: {@code peakLr() * factor(step)}. */
  default double lr(long step) {
    if (step < 0) {
      throw new IllegalArgumentException("step must be >= 0, got " + step);
    }
    return peakLr() * factor(step);
  }

  /**
   * Checks every field.
   *
   * @return this
   * @throws IllegalArgumentException naming the first bad field
   */
  LrSchedule validate();

  /**
   * Linear warmup from 0, then constant: transformers {@code get_constant_schedule_with_warmup}
   * (factor {@code step / max(1, warmupSteps)} while {@code step < warmupSteps}, then 1). With
   * {@code warmupSteps = 0} it is a constant rate.
   */
  record Constant(double peakLr, long warmupSteps) implements LrSchedule {
    @Override
    public double factor(long step) {
      return step < warmupSteps ? (double) step / Math.max(1, warmupSteps) : 1.0;
    }

    @Override
    public Constant validate() {
      checkLr(peakLr);
      checkSteps("warmupSteps", warmupSteps);
      return this;
    }
  }

  /**
   * Linear warmup from 0, then a cosine from 1 down to {@code minLrRatio}: transformers {@code
   * get_cosine_with_min_lr_schedule_with_warmup}. With {@code w = warmupSteps}, {@code progress =
   * (step − w) / max(1, totalSteps − w)}:
   *
   * <pre>
   *   factor = step / max(1, w)                                       step &lt; w
   *   factor = r + (1 − r) · ½ (1 + cos(π · numCycles · 2 · progress))   otherwise, r = minLrRatio
   * </pre>
   *
   * <p>One deliberate difference: {@code progress} is capped at 1, so after {@code totalSteps} the
   * rate stays at its end value; transformers lets the cosine rise again there.
   */
  record Cosine(
      double peakLr, long warmupSteps, long totalSteps, double minLrRatio, double numCycles)
      implements LrSchedule {
    /** Half a cosine (numCycles 0.5) from the peak to {@code minLrRatio · peakLr}. */
    public static Cosine of(double peakLr, long warmupSteps, long totalSteps, double minLrRatio) {
      return new Cosine(peakLr, warmupSteps, totalSteps, minLrRatio, 0.5);
    }

    @Override
    public double factor(long step) {
      if (step < warmupSteps) {
        return (double) step / Math.max(1, warmupSteps);
      }
      double progress =
          Math.min(1.0, (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
      double f = 0.5 * (1.0 + Math.cos(Math.PI * numCycles * 2.0 * progress));
      return Math.max(0.0, f * (1 - minLrRatio) + minLrRatio);
    }

    @Override
    public Cosine validate() {
      checkLr(peakLr);
      checkSteps("warmupSteps", warmupSteps);
      checkSteps("totalSteps", totalSteps);
      if (totalSteps < warmupSteps) {
        throw new IllegalArgumentException(
            "totalSteps (" + totalSteps + ") must be >= warmupSteps (" + warmupSteps + ")");
      }
      checkRatio(minLrRatio);
      checkCycles(numCycles);
      return this;
    }
  }

  /**
   * Warmup-stable-decay: transformers {@code get_wsd_schedule} with {@code warmup_type="linear"},
   * {@code decay_type="cosine"}, which the official mmMamba runs use ({@code docs/method.md} §3)
   * with {@code numCycles = 0.5} and {@code minLrRatio = 0}. With {@code w, s, d} the phase lengths
   * and {@code r = minLrRatio}:
   *
   * <pre>
   *   factor = r + (1 − r) · step / max(1, w)                               step &lt; w
   *   factor = 1                                                            w ≤ step &lt; w + s
   *   factor = r + (1 − r) · ½ (1 + cos(π · numCycles · 2 · p)),  p = (step − w − s) / max(1, d)
   *                                                                         w + s ≤ step &lt; w + s + d
   *   factor = r                                                            after
   * </pre>
   *
   * <p>each clamped at ≥ 0. (Older transformers releases, whose {@code get_wsd_schedule} took the
   * three phase lengths positionally, warmed up from 0 instead of r; with the official r = 0 both
   * agree.)
   */
  record Wsd(
      double peakLr,
      long warmupSteps,
      long stableSteps,
      long decaySteps,
      double minLrRatio,
      double numCycles)
      implements LrSchedule {
    /** The official shape: linear warmup, constant, half-cosine decay to 0. */
    public static Wsd of(double peakLr, long warmupSteps, long stableSteps, long decaySteps) {
      return new Wsd(peakLr, warmupSteps, stableSteps, decaySteps, 0.0, 0.5);
    }

    /** Total length {@code w + s + d}. */
    public long totalSteps() {
      return warmupSteps + stableSteps + decaySteps;
    }

    @Override
    public double factor(long step) {
      double r = minLrRatio;
      if (step < warmupSteps) {
        double progress = (double) step / Math.max(1, warmupSteps);
        return Math.max(0.0, progress * (1.0 - r) + r);
      }
      if (step < warmupSteps + stableSteps) {
        return 1.0;
      }
      if (step < warmupSteps + stableSteps + decaySteps) {
        double progress = (double) (step - warmupSteps - stableSteps) / Math.max(1, decaySteps);
        double f = 0.5 * (1.0 + Math.cos(Math.PI * numCycles * 2.0 * progress));
        return Math.max(0.0, f * (1.0 - r) + r);
      }
      return r;
    }

    @Override
    public Wsd validate() {
      checkLr(peakLr);
      checkSteps("warmupSteps", warmupSteps);
      checkSteps("stableSteps", stableSteps);
      checkSteps("decaySteps", decaySteps);
      checkRatio(minLrRatio);
      checkCycles(numCycles);
      return this;
    }
  }

  private static void checkLr(double lr) {
    if (!(lr > 0 && Double.isFinite(lr))) {
      throw new IllegalArgumentException("peakLr must be finite and > 0, got " + lr);
    }
  }

  private static void checkSteps(String field, long v) {
    if (v < 0) {
      throw new IllegalArgumentException(field + " must be >= 0, got " + v);
    }
  }

  private static void checkRatio(double r) {
    if (!(r >= 0 && r <= 1)) {
      throw new IllegalArgumentException("minLrRatio must be in [0, 1], got " + r);
    }
  }

  private static void checkCycles(double c) {
    if (!(c > 0 && Double.isFinite(c))) {
      throw new IllegalArgumentException("numCycles must be finite and > 0, got " + c);
    }
  }
}
