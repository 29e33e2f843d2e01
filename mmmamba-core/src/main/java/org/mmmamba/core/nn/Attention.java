package org.mmmamba.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;

/**
 * Grouped-query softmax attention with RoPE (Llama / Qwen2 / InternLM2).
 *
 * <p>Weights (HF layout, out x in): W_Q (H*P, D), W_K and W_V (G*P, D), W_O (D, H*P); optional
 * biases. RoPE is applied to q and k; keys are cached after RoPE.
 */
public final class Attention implements Mixer {
  private final NDArray wQ;
  private final NDArray wK;
  private final NDArray wV;
  private final NDArray wO;
  private final NDArray bQ;
  private final NDArray bK;
  private final NDArray bV;
  private final NDArray bO;
  private final int numHeads;
  private final int numKvHeads;
  private final int headDim;
  private final Rope rope;

  /** Biases may be null. */
  public Attention(
      NDArray wQ,
      NDArray wK,
      NDArray wV,
      NDArray wO,
      NDArray bQ,
      NDArray bK,
      NDArray bV,
      NDArray bO,
      int numHeads,
      int numKvHeads,
      int headDim,
      Rope rope) {
    this.wQ = wQ;
    this.wK = wK;
    this.wV = wV;
    this.wO = wO;
    this.bQ = bQ;
    this.bK = bK;
    this.bV = bV;
    this.bO = bO;
    this.numHeads = numHeads;
    this.numKvHeads = numKvHeads;
    this.headDim = headDim;
    this.rope = rope;
  }

  @Override
  public NDArray forward(NDArray u, LayerCache cache) {
    NDArray o = attend(u, (KvCache) cache);
    Shape s = u.getShape();
    NDArray flat = o.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(1), (long) numHeads * headDim);
    return linear(flat, wO, bO);
  }

  @Override
  public NDArray mixBeforeOutput(NDArray u) {
    return attend(u, null).transpose(0, 2, 1, 3);
  }

  @Override
  public NDArray outputProjection(NDArray mix) {
    Shape s = mix.getShape();
    return linear(mix.reshape(s.get(0), s.get(1), (long) numHeads * headDim), wO, bO);
  }

  /** Attention output per head, (B, H, L, P). */
  private NDArray attend(NDArray u, KvCache cache) {
    Shape s = u.getShape();
    long b = s.get(0);
    int l = (int) s.get(1);
    NDArray q = linear(u, wQ, bQ).reshape(b, l, numHeads, headDim).transpose(0, 2, 1, 3);
    NDArray k = linear(u, wK, bK).reshape(b, l, numKvHeads, headDim).transpose(0, 2, 1, 3);
    NDArray v = linear(u, wV, bV).reshape(b, l, numKvHeads, headDim).transpose(0, 2, 1, 3);
    int start = cache == null ? 0 : cache.length();
    NDList cs = rope.tables(u.getManager(), u.getDataType(), start, l, start + l);
    // RoPE on q and k together (H + G heads): 9 ops instead of 14, elementwise so bitwise the same.
    NDList qk = Rope.apply(q.concat(k, 1), cs.get(0), cs.get(1)).split(new long[] {numHeads}, 1);
    q = qk.get(0);
    k = qk.get(1);
    if (cache != null) {
      NDArray[] kv = cache.append(k, v);
      k = kv[0];
      v = kv[1];
    }
    return CausalAttention.attend(q, k, v);
  }

  private static NDArray linear(NDArray x, NDArray w, NDArray bias) {
    return (bias == null ? Linear.linear(x, w) : Linear.linear(x, w, bias)).singletonOrThrow();
  }

  @Override
  public LayerCache newCache(NDManager m, int batch, int capacity, DataType dt) {
    return new KvCache(m, batch, numKvHeads, headDim, capacity, dt);
  }

  /** W_Q (H*P, D). */
  public NDArray wQ() {
    return wQ;
  }

  /** W_K (G*P, D). */
  public NDArray wK() {
    return wK;
  }

  /** W_V (G*P, D). */
  public NDArray wV() {
    return wV;
  }

  /** W_O (D, H*P). */
  public NDArray wO() {
    return wO;
  }

  /** H. */
  public int numHeads() {
    return numHeads;
  }

  /** G. */
  public int numKvHeads() {
    return numKvHeads;
  }

  /** P. */
  public int headDim() {
    return headDim;
  }
}
