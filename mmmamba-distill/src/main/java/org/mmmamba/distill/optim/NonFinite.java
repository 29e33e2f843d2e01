package org.mmmamba.distill.optim;

/**
 * What, if anything, was not finite in a training step. A step with a non-finite loss or gradient
 * norm must not reach the optimiser; the caller then skips the step or stops the run (its policy),
 * and the last good checkpoint stays the one to resume from.
 */
public enum NonFinite {
  /** Loss and gradient norm are finite. */
  NONE,
  /** The loss is NaN or infinite (the gradient norm was then not trusted). */
  LOSS,
  /** The loss is finite but the global gradient norm is NaN or infinite. */
  GRAD_NORM;

  /** Classifies a step by its loss and gradient norm (loss first). */
  public static NonFinite check(double loss, double gradNorm) {
    if (!Double.isFinite(loss)) {
      return LOSS;
    }
    if (!Double.isFinite(gradNorm)) {
      return GRAD_NORM;
    }
    return NONE;
  }

  /** True for {@link #NONE}. */
  public boolean isFinite() {
    return this == NONE;
  }
}
