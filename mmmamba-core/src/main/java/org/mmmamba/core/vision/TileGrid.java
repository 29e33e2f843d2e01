package org.mmmamba.core.vision;

/**
 * A dynamic-tiling grid: {@code cols} tiles across and {@code rows} tiles down. InternVL calls this
 * the target aspect ratio {@code (i, j)} with {@code i = cols}, {@code j = rows}.
 *
 * @param cols tiles across (width multiplier)
 * @param rows tiles down (height multiplier)
 */
public record TileGrid(int cols, int rows) {
  /**
   * Checks that both counts are positive.
   *
   * @param cols tiles across (width multiplier)
   * @param rows tiles down (height multiplier)
   */
  public TileGrid {
    if (cols < 1 || rows < 1) {
      throw new IllegalArgumentException("grid must be at least 1x1, got " + cols + "x" + rows);
    }
  }

  /**
   * @return the number of tiles, {@code cols * rows}
   */
  public int tiles() {
    return cols * rows;
  }
}
