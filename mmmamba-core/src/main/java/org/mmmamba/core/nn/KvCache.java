package org.mmmamba.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Attention key/value cache for one layer: preallocated (B, G, capacity, P) buffers that grow by
 * doubling. Keys are stored after RoPE. Memory grows linearly with the context: this is what
 * mmMamba removes.
 */
public final class KvCache implements LayerCache {
  private final NDManager manager;
  private NDArray k;
  private NDArray v;
  private int length;

  /**
   * An empty cache of initial capacity {@code capacity} tokens; arrays live in a sub-manager of
   * {@code parent}.
   */
  public KvCache(NDManager parent, int batch, int kvHeads, int headDim, int capacity, DataType dt) {
    this.manager = parent.newSubManager();
    int cap = Math.max(1, capacity);
    this.k = manager.zeros(new Shape(batch, kvHeads, cap, headDim), dt);
    this.v = manager.zeros(new Shape(batch, kvHeads, cap, headDim), dt);
    NDScope.unregister(k, v);
  }

  /** Tokens cached so far. */
  public int length() {
    return length;
  }

  /** Capacity in tokens before the next reallocation. */
  public int capacity() {
    return (int) k.getShape().get(2);
  }

  /**
   * Appends (B, G, L, P) keys and values and returns views of all cached keys and values (B, G,
   * length, P).
   */
  public NDArray[] append(NDArray newK, NDArray newV) {
    int l = (int) newK.getShape().get(2);
    ensureCapacity(length + l);
    NDIndex at = new NDIndex(":, :, {}:{}", length, length + l);
    k.set(at, newK);
    v.set(at, newV);
    length += l;
    // Views go to the caller's manager so per-step handles are freed with the step, not kept by the
    // cache.
    NDManager caller = newK.getManager();
    NDIndex upTo = new NDIndex(":, :, :{}", length);
    return new NDArray[] {k.get(caller, upTo), v.get(caller, upTo)};
  }

  /**
   * Replaces the contents with the given (B, G, L, P) keys and values (benchmarks fill synthetic
   * contexts).
   */
  public void fill(NDArray keys, NDArray values) {
    length = 0;
    for (NDArray a : append(keys, values)) {
      a.close();
    }
  }

  private void ensureCapacity(int needed) {
    int cap = capacity();
    if (needed <= cap) {
      return;
    }
    int newCap = Math.max(needed, cap * 2);
    Shape s = k.getShape();
    NDArray nk = manager.zeros(new Shape(s.get(0), s.get(1), newCap, s.get(3)), k.getDataType());
    NDArray nv = manager.zeros(nk.getShape(), v.getDataType());
    if (length > 0) {
      NDIndex old = new NDIndex(":, :, :{}", length);
      nk.set(old, k.get(old));
      nv.set(old, v.get(old));
    }
    NDScope.unregister(nk, nv);
    k.close();
    v.close();
    k = nk;
    v = nv;
  }

  @Override
  public long bytes() {
    return 2L * k.getShape().size() * k.getDataType().getNumOfBytes();
  }

  @Override
  public void close() {
    manager.close();
  }
}
