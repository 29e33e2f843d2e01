package org.mmmamba.distill.data;

import org.mmmamba.core.text.Encoded;
import org.mmmamba.core.vision.PreprocessedImage;

/**
 * A sample ready for collation: token ids, label mask, image-token positions and image tiles.
 *
 * @param id the sample id
 * @param encoded ids, label mask and {@code <IMG_CONTEXT>} positions
 * @param image the normalised tiles, or null for a text-only sample
 * @param questionType the sample's question type, or null
 */
public record EncodedSample(
    String id, Encoded encoded, PreprocessedImage image, String questionType) {

  /**
   * @return number of image tiles (0 without an image)
   */
  public int numTiles() {
    return image == null ? 0 : image.numTiles();
  }
}
