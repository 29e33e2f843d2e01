package org.mmmamba.distill.data;

/**
 * A padded batch in plain Java arrays; the model code turns them into NDArrays. Token arrays are
 * row-major (B, L): entry {@code (b, t)} is at {@code b * seqLen + t}.
 *
 * @param ids sample ids, length B
 * @param batchSize B
 * @param seqLen L, the longest sample's length
 * @param inputIds token ids (B, L), right-padded with the pad id
 * @param attentionMask (B, L), true on real tokens, false on padding
 * @param labelMask (B, L), true on answer tokens (never on padding)
 * @param lengths real length of each sample, length B
 * @param imageContextPositions per sample, the positions of its {@code <IMG_CONTEXT>} tokens
 * @param tilesPerSample image tiles of each sample (0 without an image), length B
 * @param tileSize tile side S in pixels (0 when no sample has an image)
 * @param pixelValues all tiles of all samples in batch order, layout (sum(tiles), 3, S, S)
 */
public record Batch(
    String[] ids,
    int batchSize,
    int seqLen,
    long[] inputIds,
    boolean[] attentionMask,
    boolean[] labelMask,
    int[] lengths,
    int[][] imageContextPositions,
    int[] tilesPerSample,
    int tileSize,
    float[] pixelValues) {

  /**
   * @return the total number of image tiles in the batch
   */
  public int totalTiles() {
    int n = 0;
    for (int t : tilesPerSample) {
      n += t;
    }
    return n;
  }

  /**
   * One token id.
   *
   * @param b sample
   * @param t position
   * @return the id at (b, t)
   */
  public long inputId(int b, int t) {
    return inputIds[b * seqLen + t];
  }
}
