package org.mmmamba.distill.train;

import org.mmmamba.distill.optim.NonFinite;

/**
 * What one optimiser step did.
 *
 * @param step the 0-based schedule position of this step (the value {@code lr} was taken at)
 * @param loss the mean of the micro-batch losses (unscaled)
 * @param gradNorm the global gradient 2-norm before clipping (NaN if the loss was not finite)
 * @param lr the learning rate used (or that would have been used, if skipped)
 * @param nonFinite what was not finite; anything but {@link NonFinite#NONE} means the update was
 *     skipped
 * @param microBatches the number of micro-batches accumulated
 */
public record StepOutcome(
    long step, double loss, double gradNorm, double lr, NonFinite nonFinite, int microBatches) {
  /** True if AdamW updated the parameters in this step. */
  public boolean applied() {
    return nonFinite == NonFinite.NONE;
  }
}
