package org.mmmamba.core.vision;

/**
 * Model-ready pixels of one image: {@code numTiles} normalised tiles of shape (3, S, S),
 * concatenated.
 *
 * @param pixels {@code numTiles * 3 * tileSize * tileSize} floats, layout (numTiles, 3, S, S)
 * @param numTiles number of tiles, thumbnail included
 * @param tileSize tile side S in pixels
 */
public record PreprocessedImage(float[] pixels, int numTiles, int tileSize) {
  /**
   * Checks the array length against the shape.
   *
   * @param pixels {@code numTiles * 3 * tileSize * tileSize} floats, layout (numTiles, 3, S, S)
   * @param numTiles number of tiles, thumbnail included
   * @param tileSize tile side S in pixels
   */
  public PreprocessedImage {
    if ((long) numTiles * 3 * tileSize * tileSize != pixels.length) {
      throw new IllegalArgumentException(
          "pixels length " + pixels.length + " != " + numTiles + "*3*" + tileSize + "^2");
    }
  }

  /**
   * @return the shape {@code {numTiles, 3, tileSize, tileSize}}
   */
  public long[] shape() {
    return new long[] {numTiles, 3, tileSize, tileSize};
  }
}
