package org.mmmamba.core.text;

/**
 * One tokenised conversation.
 *
 * @param inputIds token ids, length L
 * @param labelMask true where the token is part of an answer (incl. the closing end token), length
 *     L
 * @param imageContextPositions ascending positions of the {@code <IMG_CONTEXT>} tokens, in tile
 *     order
 */
public record Encoded(long[] inputIds, boolean[] labelMask, int[] imageContextPositions) {
  /**
   * Checks that the arrays agree.
   *
   * @param inputIds token ids, length L
   * @param labelMask true where the token is part of an answer (incl. the closing end token),
   *     length L
   * @param imageContextPositions ascending positions of the {@code <IMG_CONTEXT>} tokens, in tile
   *     order
   */
  public Encoded {
    if (inputIds.length != labelMask.length) {
      throw new IllegalArgumentException("ids and label mask lengths differ");
    }
  }

  /**
   * @return the sequence length L
   */
  public int length() {
    return inputIds.length;
  }

  /**
   * @return how many answer tokens the label mask selects
   */
  public int answerTokens() {
    int n = 0;
    for (boolean b : labelMask) {
      n += b ? 1 : 0;
    }
    return n;
  }
}
