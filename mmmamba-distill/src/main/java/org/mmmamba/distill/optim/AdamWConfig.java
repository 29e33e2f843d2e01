package org.mmmamba.distill.optim;

/**
 * The hyperparameters of {@link AdamW} other than the learning rate, which comes from an {@link
 * LrSchedule} step by step. Defaults are torch's ({@code betas=(0.9, 0.999), eps=1e-8}); the
 * official mmMamba runs use {@code weightDecay = 0.05} ({@code docs/method.md} §3).
 *
 * @param beta1 decay of the first moment m, in [0, 1)
 * @param beta2 decay of the second moment v, in [0, 1)
 * @param eps added to √v̂ in the denominator, > 0
 * @param weightDecay decoupled weight decay λ (p ← p·(1 − lr·λ)) for parameters the mask selects, ≥
 *     0
 */
public record AdamWConfig(double beta1, double beta2, double eps, double weightDecay) {
  /** torch.optim.AdamW's betas and eps with the given weight decay. */
  public static AdamWConfig torchDefaults(double weightDecay) {
    return new AdamWConfig(0.9, 0.999, 1e-8, weightDecay);
  }

  /** The official mmMamba setting: torch defaults with weight decay 0.05. */
  public static AdamWConfig mmMamba() {
    return torchDefaults(0.05);
  }

  /**
   * Checks every field.
   *
   * @return this
   * @throws IllegalArgumentException naming the first bad field
   */
  public AdamWConfig validate() {
    if (!(beta1 >= 0 && beta1 < 1)) {
      throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
    }
    if (!(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
    }
    if (!(eps > 0 && Double.isFinite(eps))) {
      throw new IllegalArgumentException("eps must be finite and > 0, got " + eps);
    }
    if (!(weightDecay >= 0 && Double.isFinite(weightDecay))) {
      throw new IllegalArgumentException("weightDecay must be finite and >= 0, got " + weightDecay);
    }
    return this;
  }
}
