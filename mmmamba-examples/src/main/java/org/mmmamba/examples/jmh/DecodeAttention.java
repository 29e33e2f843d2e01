package org.mmmamba.examples.jmh;

import ai.djl.ndarray.NDArray;

/**
 * Single-token GQA attention with the query heads of each kv group folded into the matmul rows, for
 * comparison with {@code CausalAttention.attend} in {@link AttentionDecodeBench}.
 */
public final class DecodeAttention {
  private DecodeAttention() {}

  /**
   * q (B, H, 1, P), k and v (B, G, Lk, P) with H = r·G (head h uses group h / r) → (B, H, 1, P).
   * One query token at the last position sees every key, so there is no mask.
   */
  public static NDArray foldedGqa(NDArray q, NDArray k, NDArray v) {
    long b = q.getShape().get(0);
    long h = q.getShape().get(1);
    long p = q.getShape().get(3);
    long g = k.getShape().get(1);
    NDArray qf = q.reshape(b, g, h / g, p).mul(1.0 / Math.sqrt(p)); // (B, G, r, P)
    NDArray scores = qf.matMul(k.transpose(0, 1, 3, 2)).softmax(-1); // (B, G, r, Lk)
    return scores.matMul(v).reshape(b, h, 1, p);
  }
}
