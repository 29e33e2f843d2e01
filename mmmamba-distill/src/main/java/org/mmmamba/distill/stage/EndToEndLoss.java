package org.mmmamba.distill.stage;

import ai.djl.ndarray.NDArray;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.nn.Scalars;

/**
 * The stage-3 loss (docs/method.md §3): KL(teacher || student) on next-token distributions of the
 * whole model (batchmean over the batch, summed over positions and vocabulary), with logits
 * computed a chunk of positions at a time; optional answer-only mask and cross-entropy term.
 */
public final class EndToEndLoss {
  /** Positions per logits chunk. */
  public static final int CHUNK = 256;

  private final DecoderModel teacher;
  private final DecoderModel student;
  private final double temperature;
  private final double ceWeight;

  /**
   * @param ceWeight weight of the next-token cross-entropy on the masked positions (0 in the
   *     reference)
   */
  public EndToEndLoss(
      DecoderModel teacher, DecoderModel student, double temperature, double ceWeight) {
    this.teacher = teacher;
    this.student = student;
    this.temperature = temperature;
    this.ceWeight = ceWeight;
  }

  /**
   * @param embeds (B, L, D) input embeddings (no gradient)
   * @param mask (B, L) positions that count
   * @param nextIds (B, L) next-token ids (for the CE term; may be null when ceWeight is 0)
   */
  public NDArray loss(NDArray embeds, NDArray mask, NDArray nextIds) {
    // The teacher is frozen: its forward records no graph (and fp16's casts take one op, not
    // three).
    NDArray th =
        org.mmmamba.core.nn.GradMode.off(() -> teacher.hidden(embeds, null)).stopGradient();
    NDArray sh = student.hidden(embeds, null);
    NDArray kl =
        KlDivergence.fromHidden(
            sh, student.lmHead(), th, teacher.lmHead(), temperature, mask, CHUNK);
    if (ceWeight == 0 || nextIds == null) {
      return kl;
    }
    // Mixed precision: log-softmax and the sums in float32.
    NDArray logp = org.mmmamba.core.nn.Fp32.up(student.logits(sh)).logSoftmax(-1);
    NDArray nll = logp.gather(nextIds.expandDims(-1), -1).squeeze(-1).neg();
    NDArray m32 = org.mmmamba.core.nn.Fp32.up(mask);
    NDArray ce = nll.mul(m32).sum().div(m32.sum().maximum(1));
    return kl.add(Scalars.mul(ce, ceWeight));
  }
}
