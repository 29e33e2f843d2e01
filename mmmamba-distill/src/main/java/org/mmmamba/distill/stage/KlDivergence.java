package org.mmmamba.distill.stage;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.core.Linear;
import org.mmmamba.core.nn.Fp32;
import org.mmmamba.core.nn.Scalars;

/**
 * The end-to-end loss of stage 3 (docs/method.md §3): KL(teacher || student) between next-token
 * distributions at temperature T, {@code KLDivLoss(reduction="batchmean")} semantics: summed over
 * positions and vocabulary, divided by the batch size. An optional position mask (B, L) in {0, 1}
 * restricts the sum (answer-only).
 *
 * <p>Logits are (B, L, V). {@link #fromHidden} never materialises them: it computes logits for
 * {@code chunk} positions at a time from final hidden states and the (frozen) LM head, which is
 * what keeps a 92,553-token vocabulary tractable at 8K tokens.
 */
public final class KlDivergence {
  private KlDivergence() {}

  /** KL(teacher || student) from full logits (the slow, obviously correct twin). */
  public static NDArray fromLogits(
      NDArray studentLogits, NDArray teacherLogits, double temperature, NDArray mask) {
    long b = studentLogits.getShape().get(0);
    NDArray logPs = Scalars.div(studentLogits, temperature).logSoftmax(-1);
    NDArray logPt = Scalars.div(teacherLogits, temperature).logSoftmax(-1);
    NDArray perPos = logPt.exp().mul(logPt.sub(logPs)).sum(new int[] {-1});
    if (mask != null) {
      perPos = perPos.mul(mask);
    }
    return Scalars.div(perPos.sum(), b);
  }

  /**
   * The same loss from final hidden states (B, L, D) and LM heads (V, D), {@code chunk} positions
   * at a time. Gradients flow into {@code studentHidden}; the teacher side carries none.
   */
  public static NDArray fromHidden(
      NDArray studentHidden,
      NDArray studentHead,
      NDArray teacherHidden,
      NDArray teacherHead,
      double temperature,
      NDArray mask,
      int chunk) {
    long l = studentHidden.getShape().get(1);
    NDArray total = null;
    for (long s = 0; s < l; s += chunk) {
      long e = Math.min(l, s + chunk);
      NDIndex idx = new NDIndex(":, {}:{}", s, e);
      NDArray zs = Linear.linear(studentHidden.get(idx), studentHead).singletonOrThrow();
      NDArray zt = Linear.linear(teacherHidden.get(idx), teacherHead).singletonOrThrow();
      // Mixed precision: logits (float16 from the GEMM) go through log-softmax and the sum in
      // float32.
      NDArray part =
          fromLogits(
              Fp32.up(zs), Fp32.up(zt), temperature, mask == null ? null : Fp32.up(mask.get(idx)));
      total = total == null ? part : total.add(part);
    }
    return total;
  }
}
