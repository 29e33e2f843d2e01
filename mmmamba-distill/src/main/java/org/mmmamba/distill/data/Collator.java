package org.mmmamba.distill.data;

import java.util.Arrays;
import java.util.List;

/**
 * Pads encoded samples into a {@link Batch}: right padding with the pad id to the longest sample,
 * an attention mask, the label mask (false on padding), and every sample's image tiles concatenated
 * in batch order (the order in which the model fills the {@code <IMG_CONTEXT>} positions).
 */
public final class Collator {
  private final long padId;

  /**
   * Creates a collator.
   *
   * @param padId the id written into padding positions (the reference uses 0)
   */
  public Collator(long padId) {
    this.padId = padId;
  }

  /**
   * Builds a batch.
   *
   * @param samples at least one sample; images, if any, must share one tile size
   * @return the batch
   */
  public Batch collate(List<EncodedSample> samples) {
    if (samples.isEmpty()) {
      throw new IllegalArgumentException("cannot collate an empty batch");
    }
    int b = samples.size();
    int len = 0;
    int tiles = 0;
    int tileSize = 0;
    for (EncodedSample s : samples) {
      len = Math.max(len, s.encoded().length());
      if (s.image() != null) {
        if (tileSize != 0 && tileSize != s.image().tileSize()) {
          throw new IllegalArgumentException(
              "tile sizes differ in one batch: " + tileSize + " and " + s.image().tileSize());
        }
        tileSize = s.image().tileSize();
        tiles += s.image().numTiles();
      }
    }
    String[] ids = new String[b];
    long[] inputIds = new long[b * len];
    Arrays.fill(inputIds, padId);
    boolean[] attention = new boolean[b * len];
    boolean[] labels = new boolean[b * len];
    int[] lengths = new int[b];
    int[][] ctx = new int[b][];
    int[] tilesPer = new int[b];
    float[] pixels = new float[tiles * 3 * tileSize * tileSize];
    int pix = 0;
    for (int i = 0; i < b; i++) {
      EncodedSample s = samples.get(i);
      ids[i] = s.id();
      int n = s.encoded().length();
      lengths[i] = n;
      System.arraycopy(s.encoded().inputIds(), 0, inputIds, i * len, n);
      Arrays.fill(attention, i * len, i * len + n, true);
      System.arraycopy(s.encoded().labelMask(), 0, labels, i * len, n);
      ctx[i] = s.encoded().imageContextPositions().clone();
      if (s.image() != null) {
        tilesPer[i] = s.image().numTiles();
        float[] p = s.image().pixels();
        System.arraycopy(p, 0, pixels, pix, p.length);
        pix += p.length;
      }
    }
    return new Batch(
        ids, b, len, inputIds, attention, labels, lengths, ctx, tilesPer, tileSize, pixels);
  }
}
