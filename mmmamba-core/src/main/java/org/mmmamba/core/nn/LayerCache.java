package org.mmmamba.core.nn;

/** Per-layer decode state: a {@link KvCache} for attention, a {@link MambaCache} for Mamba-2. */
public sealed interface LayerCache extends AutoCloseable permits KvCache, MambaCache {
  /** Bytes of native memory held by this cache. */
  long bytes();

  @Override
  void close();
}
