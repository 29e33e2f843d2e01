package org.mmmamba.distill.data;

/**
 * One drawn object: its kind, colour, grid cell and pixel bounding box.
 *
 * @param kind the shape
 * @param color the colour
 * @param row grid row (0 = top)
 * @param col grid column (0 = left)
 * @param x left edge of the bounding box in pixels
 * @param y top edge of the bounding box in pixels
 * @param size side of the square bounding box in pixels
 */
public record ShapeObject(
    ShapeKind kind, ShapeColor color, int row, int col, int x, int y, int size) {

  /**
   * @return column of the pixel at the centre of the bounding box; it is always painted
   */
  public int centerX() {
    return x + size / 2;
  }

  /**
   * @return row of the pixel at the centre of the bounding box; it is always painted
   */
  public int centerY() {
    return y + size / 2;
  }
}
