package org.mmmamba.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Mamba-2 decode state for one layer, constant in size whatever the context length: the conv state
 * (B, K-1, C_conv) of raw pre-conv [x|B|C] inputs and the SSM state S (B, H, P, N). Kept in the
 * compute dtype (fp32 on CPU), not bf16 as the reference does.
 */
public final class MambaCache implements LayerCache {
  private static final NDIndex ALL = new NDIndex("...");

  private final NDManager manager;
  private NDArray convState;
  private final NDArray ssmState;
  private boolean started;
  private final java.util.Map<String, NDArray> derived = new java.util.HashMap<>();

  /** Zero state for {@code batch} sequences. */
  public MambaCache(
      NDManager parent,
      int batch,
      int convKernel,
      int convChannels,
      int heads,
      int headDim,
      int stateDim,
      DataType dt) {
    this.manager = parent.newSubManager();
    this.convState =
        convKernel > 1 ? manager.zeros(new Shape(batch, convKernel - 1, convChannels), dt) : null;
    this.ssmState = manager.zeros(new Shape(batch, heads, headDim, stateDim), dt);
    NDScope.unregister(ssmState);
    if (convState != null) {
      NDScope.unregister(convState);
    }
  }

  /** (B, K-1, C_conv) or null when K = 1. */
  public NDArray convState() {
    return convState;
  }

  /** (B, H, P, N); updated in place by decode steps. */
  public NDArray ssmState() {
    return ssmState;
  }

  /** True once a prefill or step has run. */
  public boolean started() {
    return started;
  }

  /**
   * Replaces the conv state (copied into this cache's memory) and the SSM state (copied in place).
   */
  public void update(NDArray newConvState, NDArray newSsmState) {
    if (convState != null) {
      NDArray old = convState;
      convState = newConvState.duplicate();
      convState.attach(manager);
      NDScope.unregister(convState);
      old.close();
    }
    if (newSsmState != ssmState) {
      // In place (index_put_), not copyTo(): DJL's copyTo swaps the target's storage for a Java
      // direct buffer
      // (outside torch's allocator, counted against MaxDirectMemorySize) and warns on stderr.
      ssmState.set(ALL, newSsmState);
    }
    started = true;
  }

  /**
   * The mixer's W_in = [W_x; W_B; W_C; W_G; W_dt], made by {@code concat} on the first call and
   * held by this cache until it closes, so that every decode step of a generation is one input GEMM
   * instead of five (docs/benchmarks.md#decode-ops). A copy of the weights as they were then: a
   * cache lives for one generation and must not outlive an update of the weights (training changes
   * them in place). Its memory (the mixer's projection weights once more, 1.6 GB over the 32 layers
   * of HoVLE's dims in fp32) is not in {@link #bytes()}, the state's size.
   */
  public NDArray inputWeight(java.util.function.Supplier<NDArray> concat) {
    return derived("W_in", concat);
  }

  /**
   * A tensor derived from the mixer's weights once per cache (W_in, A = -exp(A_log) as (H, 1, 1)),
   * made by {@code make} on the first call and held until this cache closes; the same caveat as
   * {@link #inputWeight}: a cache must not outlive an update of the weights.
   */
  public NDArray derived(String name, java.util.function.Supplier<NDArray> make) {
    NDArray w = derived.get(name);
    if (w == null) {
      w = make.get();
      w.attach(manager);
      NDScope.unregister(w);
      derived.put(name, w);
    }
    return w;
  }

  /** Marks the cache as used (after an in-place step). */
  public void markStarted() {
    started = true;
  }

  @Override
  public long bytes() {
    long n = ssmState.getShape().size();
    if (convState != null) {
      n += convState.getShape().size();
    }
    return n * ssmState.getDataType().getNumOfBytes();
  }

  @Override
  public void close() {
    manager.close();
  }
}
