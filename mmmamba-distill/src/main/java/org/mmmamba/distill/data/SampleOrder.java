package org.mmmamba.distill.data;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * An order in which to visit the samples of a dataset: a permutation (or a shard of one) of sample
 * indices {@code 0..n-1}. Only the indices are held (4 bytes per sample), never the samples.
 *
 * <p>Shuffling is a Fisher-Yates shuffle driven by {@link SplittableRandom} with the given seed, so
 * the same seed gives the same order on every JVM. For several epochs, derive the seed from the
 * epoch (e.g. {@code seed + epoch}). For several processes, every process builds the same shuffled
 * order and takes its own {@link #shard}.
 */
public final class SampleOrder {
  private final int[] indices;

  private SampleOrder(int[] indices) {
    this.indices = indices;
  }

  /**
   * The file order.
   *
   * @param n number of samples
   * @return {@code 0, 1, ..., n-1}
   */
  public static SampleOrder sequential(int n) {
    return new SampleOrder(IntStream.range(0, n).toArray());
  }

  /**
   * A seeded random permutation.
   *
   * @param n number of samples
   * @param seed the seed
   * @return the shuffled order
   */
  public static SampleOrder shuffled(int n, long seed) {
    int[] a = IntStream.range(0, n).toArray();
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return new SampleOrder(a);
  }

  /**
   * The part of this order for process {@code k} of {@code n}: the entries at positions {@code k,
   * k+n, k+2n, ...}. The {@code n} shards are disjoint, together cover this order, and their sizes
   * differ by at most one.
   *
   * @param k shard index, {@code 0 <= k < n}
   * @param n number of shards, at least 1
   * @return the shard
   */
  public SampleOrder shard(int k, int n) {
    if (n < 1 || k < 0 || k >= n) {
      throw new IllegalArgumentException("shard " + k + " of " + n + " is out of range");
    }
    int size = indices.length <= k ? 0 : (indices.length - k + n - 1) / n;
    int[] out = new int[size];
    for (int i = 0; i < size; i++) {
      out[i] = indices[k + i * n];
    }
    return new SampleOrder(out);
  }

  /**
   * @return number of entries
   */
  public int size() {
    return indices.length;
  }

  /**
   * One entry.
   *
   * @param position position in this order
   * @return the sample index at that position
   */
  public int get(int position) {
    return indices[position];
  }

  /**
   * @return a copy of the sample indices, in order
   */
  public int[] toArray() {
    return indices.clone();
  }

  /**
   * @return the sample indices, in order
   */
  public IntStream stream() {
    return Arrays.stream(indices);
  }
}
