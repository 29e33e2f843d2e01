package org.mmmamba.distill.recipe;

/**
 * What a stage does when the loss or the gradient norm of a step is not finite ({@code
 * on_non_finite}).
 */
public enum NonFinitePolicy {
  /** Skip the update, count it and go on. */
  SKIP,
  /** Stop the run; the last good checkpoint is kept. */
  STOP
}
