package org.mmmamba.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Exact causal softmax attention with grouped-query heads, processed in query blocks so memory is
 * O(B * H * blockLen * Lk) rather than O(L^2): a 32K-token prefill never materialises an L x L
 * matrix.
 *
 * <p>Shapes: q (B, H, Lq, P); k, v (B, G, Lk, P) with H = r * G (query head h uses kv head h / r,
 * like HF {@code repeat_kv}); query i (0-based in this call) sits at absolute position {@code Lk -
 * Lq + i} and sees keys 0..Lk-Lq+i. Output (B, H, Lq, P). Scale 1/sqrt(P).
 */
public final class CausalAttention {
  /** Upper bound on score elements per block (about 64 MiB in fp32). */
  public static final long DEFAULT_BLOCK_ELEMENTS = 1L << 24;

  private CausalAttention() {}

  /**
   * Keys per slice of the split value product ({@link #valueProduct}), used for float32 decode on a
   * GPU; below twice this many keys, or anywhere else, the product is one matmul.
   */
  public static final int SPLIT_KEYS = 2048;

  /**
   * Attention with the default memory budget: torch's fused kernel ({@link Sdpa}) where it applies
   * (a prefill from position 0, autograd on or off), else blocked.
   */
  public static NDArray attend(NDArray q, NDArray k, NDArray v) {
    if (Sdpa.usable(q, k)) {
      NDArray fused = Sdpa.causal(q, k, v);
      if (fused != null) {
        return fused;
      }
    }
    // Decode only (one query per head: the shape that was measured); a prefill block has many rows.
    boolean split =
        q.getDevice().isGpu() && q.getDataType() == DataType.FLOAT32 && q.getShape().get(2) == 1;
    return attend(q, k, v, DEFAULT_BLOCK_ELEMENTS, split ? SPLIT_KEYS : 0);
  }

  /** Blocked attention, the value product in one matmul. */
  public static NDArray attend(NDArray q, NDArray k, NDArray v, long maxBlockElements) {
    return attend(q, k, v, maxBlockElements, 0);
  }

  /**
   * Blocked attention.
   *
   * @param maxBlockElements cap on B*H*blockLen*Lk score elements held at once
   * @param splitKeys 0, or the keys per slice of a split value product ({@link #valueProduct})
   */
  public static NDArray attend(
      NDArray q, NDArray k, NDArray v, long maxBlockElements, int splitKeys) {
    Shape qs = q.getShape();
    long b = qs.get(0);
    long h = qs.get(1);
    int lq = (int) qs.get(2);
    long p = qs.get(3);
    long g = k.getShape().get(1);
    int lk = (int) k.getShape().get(2);
    long r = h / g;
    int offset = lk - lq;
    NDManager m = q.getManager();
    NDArray scale = Scalars.constant(q, 1.0 / Math.sqrt(p));
    // GQA folded into matmul rows: the r query heads of kv head j become r * Lq rows of one (B, G)
    // batch entry,
    // so K and V are used as they are, never broadcast or copied per query head.
    NDArray q5 = q.reshape(b, g, r, lq, p).mul(scale);
    NDArray kt = k.transpose(0, 1, 3, 2);
    int block = (int) Math.max(1, Math.min(lq, maxBlockElements / Math.max(1, b * h * lk)));
    NDList outs = new NDList();
    for (int s = 0; s < lq; s += block) {
      int start = s;
      int e = Math.min(lq, s + block);
      int keysUpTo = offset + e;
      // Each block's scores are freed when the block is done (only its (B, G, r, bl, P) output is
      // kept).
      outs.add(
          Scopes.keepOnly(
              () -> {
                int bl = e - start;
                NDArray qb =
                    (lq == bl ? q5 : q5.get(":, :, :, {}:{}", start, e)).reshape(b, g, r * bl, p);
                NDArray kb = keysUpTo == lk ? kt : kt.get(":, :, :, :{}", keysUpTo);
                NDArray vb = keysUpTo == lk ? v : v.get(":, :, :{}, :", keysUpTo);
                NDArray scores = qb.matMul(kb).reshape(b, g, r, bl, keysUpTo);
                if (bl > 1 || offset + start + 1 < keysUpTo) {
                  scores = maskFuture(scores, offset + start, bl, keysUpTo);
                }
                // Mixed precision: softmax in float32, probabilities back in float16 for the value
                // matmul.
                NDArray probs = Fp32.as(Fp32.softmax(scores, -1), scores);
                return valueProduct(probs.reshape(b, g, r * bl, keysUpTo), vb, splitKeys)
                    .reshape(b, g, r, bl, p);
              }));
    }
    NDArray out = outs.size() == 1 ? outs.get(0) : NDArrays.concat(outs, 3);
    return out.reshape(b, h, lq, p);
  }

  /**
   * probs · V, (B, G, R, Lk) x (B, G, Lk, P) -> (B, G, R, P). With few rows R (decode: the r query
   * heads of a kv head) and many keys, one matmul is a GEMM with a tiny output and a long inner
   * dimension, which cuBLAS runs on a handful of thread blocks in float32: 4.0 ms per layer at 128K
   * keys on an H100, where the same product as {@code Lk / splitKeys} slices (one batched matmul
   * over the slices, then a sum over them) takes 0.67 ms (docs/benchmarks.md#attention-split). In
   * float16 cuBLAS splits on its own (0.17 ms; the manual split is slower), so callers split only
   * float32 on a GPU. The same sum in another order: equal to the one matmul up to rounding.
   *
   * @param splitKeys 0 for one matmul; else keys per slice, used when there are at least two slices
   */
  static NDArray valueProduct(NDArray probs, NDArray v, int splitKeys) {
    Shape ps = probs.getShape();
    long lk = ps.get(3);
    if (splitKeys <= 0 || lk < 2L * splitKeys) {
      return probs.matMul(v);
    }
    long b = ps.get(0);
    long g = ps.get(1);
    long rows = ps.get(2);
    long p = v.getShape().get(3);
    long slices = lk / splitKeys;
    long main = slices * splitKeys;
    NDArray pm = main == lk ? probs : probs.get(new NDIndex("..., :{}", main));
    NDArray vm = main == lk ? v : v.get(new NDIndex(":, :, :{}, :", main));
    NDArray out =
        pm.reshape(b, g, rows, slices, splitKeys)
            .transpose(0, 1, 3, 2, 4)
            .matMul(vm.reshape(b, g, slices, splitKeys, p))
            .sum(new int[] {2});
    if (main < lk) {
      NDArray tail =
          probs.get(new NDIndex("..., {}:", main)).matMul(v.get(new NDIndex(":, :, {}:, :", main)));
      out = out.add(tail);
    }
    return out;
  }

  /** -inf for the scores of keys after each query's position (an (nq, nk) mask, broadcast). */
  private static NDArray maskFuture(NDArray scores, int firstPos, int nq, int nk) {
    NDManager m = scores.getManager();
    // The mask and -inf come from the device's cache (every layer of a forward uses the same
    // blocks): no arange, comparison, zeros or full per block and layer. where(allowed, scores,
    // -inf) is bitwise scores + {0, -inf}.
    NDArray allowed = DeviceConstants.causalMask(m, firstPos, nq, nk).broadcast(scores.getShape());
    NDArray negInf =
        DeviceConstants.scalar(scores.getDevice(), scores.getDataType(), Double.NEGATIVE_INFINITY);
    return NDArrays.where(allowed, scores, negInf);
  }

  /**
   * The slow, obviously correct twin: repeats kv heads, builds the full (Lq, Lk) score matrix with
   * an explicit mask. Test-only sizes.
   */
  public static NDArray reference(NDArray q, NDArray k, NDArray v) {
    Shape qs = q.getShape();
    long h = qs.get(1);
    int lq = (int) qs.get(2);
    long p = qs.get(3);
    long g = k.getShape().get(1);
    int lk = (int) k.getShape().get(2);
    NDArray kr = k.repeat(1, h / g);
    NDArray vr = v.repeat(1, h / g);
    NDArray scores = Scalars.div(q.matMul(kr.transpose(0, 1, 3, 2)), Math.sqrt(p));
    double[] mask = new double[lq * lk];
    for (int i = 0; i < lq; i++) {
      for (int j = 0; j < lk; j++) {
        mask[i * lk + j] = j <= lk - lq + i ? 0 : Double.NEGATIVE_INFINITY;
      }
    }
    NDArray maskArr =
        q.getManager().create(mask, new Shape(lq, lk)).toType(DataType.FLOAT64, false);
    return scores
        .toType(DataType.FLOAT64, false)
        .add(maskArr)
        .softmax(-1)
        .toType(q.getDataType(), false)
        .matMul(vr);
  }
}
