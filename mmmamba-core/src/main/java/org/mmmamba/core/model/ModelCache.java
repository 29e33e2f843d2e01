package org.mmmamba.core.model;

import java.util.List;
import org.mmmamba.core.nn.LayerCache;

/**
 * Decode state of a whole model: one {@link LayerCache} per layer (a KV cache for attention layers,
 * conv and SSM states for Mamba-2 layers) and the number of positions consumed.
 */
public final class ModelCache implements AutoCloseable {
  private final List<LayerCache> layers;
  private int length;

  /** Wraps per-layer caches. */
  public ModelCache(List<LayerCache> layers) {
    this.layers = List.copyOf(layers);
  }

  /** Cache of layer i. */
  public LayerCache layer(int i) {
    return layers.get(i);
  }

  /** Positions consumed so far. */
  public int length() {
    return length;
  }

  /** Advances the position counter after a forward of {@code n} tokens. */
  public void advance(int n) {
    length += n;
  }

  /** Native bytes held by all layer caches. */
  public long bytes() {
    long b = 0;
    for (LayerCache c : layers) {
      b += c.bytes();
    }
    return b;
  }

  @Override
  public void close() {
    for (LayerCache c : layers) {
      c.close();
    }
  }
}
