package org.mmmamba.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/** Token mixer of a decoder layer: softmax attention or a Mamba-2 mixer. */
public sealed interface Mixer permits Attention, Mamba2Mixer {
  /**
   * Mixes a chunk of tokens.
   *
   * @param u (B, L, D) the normalised layer input
   * @param cache this layer's cache, updated in place; null for a stateless full-sequence pass
   * @return (B, L, D)
   */
  NDArray forward(NDArray u, LayerCache cache);

  /**
   * The mixer output before the output projection W_O, (B, L, H, P): the quantity the layer-wise
   * distillation loss compares (docs/method.md §3). Stateless (positions start at 0).
   */
  NDArray mixBeforeOutput(NDArray u);

  /**
   * The output projection W_O applied to a {@link #mixBeforeOutput} result: (B, L, H, P) -> (B, L,
   * D), so that {@code forward(u, null)} equals {@code outputProjection(mixBeforeOutput(u))} bit
   * for bit. The layer-wise loss needs both and mixes once.
   */
  NDArray outputProjection(NDArray mix);

  /** A fresh, empty cache for {@code batch} sequences (capacity is a hint for attention). */
  LayerCache newCache(NDManager m, int batch, int capacity, DataType dt);
}
