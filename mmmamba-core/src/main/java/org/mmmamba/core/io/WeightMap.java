package org.mmmamba.core.io;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How one checkpoint family names and packs its tensors, as a table: each checkpoint tensor is a
 * stack of row blocks, each block a row range of one canonical tensor ({@code model.ParamNames}).
 *
 * <p>A plain rename is one block covering the whole tensor. InternLM2's packed {@code wqkv} is one
 * block per head: [q_{gh} .. q_{gh+g-1}, k_h, v_h] for each kv head h. Loading stacks, per
 * canonical name, the blocks in canonical row order; saving concatenates, per checkpoint tensor,
 * the blocks in file order.
 */
public final class WeightMap {
  /**
   * Rows [canonicalRow, canonicalRow + rows) of canonical tensor {@code canonical}, stored
   * consecutively in the checkpoint tensor.
   */
  public record Block(String canonical, long canonicalRow, long rows) {}

  /**
   * One checkpoint tensor.
   *
   * @param name name in the checkpoint
   * @param shape shape in the checkpoint
   * @param canonicalShape shape of the canonical tensor when a single block covers it but the
   *     layout differs (e.g. conv weight (C, 1, K) stored, (C, K) canonical); null otherwise
   * @param blocks row blocks in file order
   */
  public record Entry(String name, long[] shape, long[] canonicalShape, List<Block> blocks) {
    /** Defensive copies. */
    public Entry {
      shape = shape.clone();
      canonicalShape = canonicalShape == null ? null : canonicalShape.clone();
      blocks = List.copyOf(blocks);
    }

    @Override
    public long[] shape() {
      return shape.clone();
    }

    @Override
    public String toString() {
      return name + Arrays.toString(shape);
    }
  }

  private final List<Entry> entries;
  private final List<String> optional;

  /**
   * @param entries every tensor the checkpoint must contain
   * @param optional names that may be present and are then ignored (e.g. a tied lm_head)
   */
  public WeightMap(List<Entry> entries, List<String> optional) {
    this.entries = List.copyOf(entries);
    this.optional = List.copyOf(optional);
  }

  /** Required tensors. */
  public List<Entry> entries() {
    return entries;
  }

  /** Tensors that may appear and are ignored. */
  public List<String> optional() {
    return optional;
  }

  /** Builder used by {@link WeightMaps}. */
  static final class Builder {
    private final List<Entry> entries = new ArrayList<>();
    private final List<String> optional = new ArrayList<>();

    /** A plain rename. */
    Builder rename(String name, String canonical, long... shape) {
      entries.add(new Entry(name, shape, null, List.of(new Block(canonical, 0, shape[0]))));
      return this;
    }

    /** A rename whose canonical tensor has another shape (same element order). */
    Builder reshape(String name, String canonical, long[] shape, long[] canonicalShape) {
      entries.add(
          new Entry(name, shape, canonicalShape, List.of(new Block(canonical, 0, shape[0]))));
      return this;
    }

    /** A packed tensor made of row blocks. */
    Builder packed(String name, long[] shape, List<Block> blocks) {
      entries.add(new Entry(name, shape, null, blocks));
      return this;
    }

    Builder optional(String name) {
      optional.add(name);
      return this;
    }

    WeightMap build() {
      return new WeightMap(entries, optional);
    }
  }
}
