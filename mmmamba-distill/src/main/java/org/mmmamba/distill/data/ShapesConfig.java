package org.mmmamba.distill.data;

import org.mmmamba.core.BadInputException;

/**
 * Settings of the synthetic {@link ShapesTask}.
 *
 * @param imageSize side of the square images in pixels (default 28)
 * @param gridSize objects sit on a {@code gridSize x gridSize} grid: 2 or 3 (default 2)
 * @param maxShapes most objects per image, 1 to {@code min(9, gridSize^2)} (default 3)
 * @param background background colour {@code 0xRRGGBB} (default dark grey {@code 0x202020})
 */
public record ShapesConfig(int imageSize, int gridSize, int maxShapes, int background) {

  /**
   * @return 28-pixel images, a 2x2 grid, up to 3 objects, dark grey background
   */
  public static ShapesConfig defaults() {
    return new ShapesConfig(28, 2, 3, 0x202020);
  }

  /**
   * Checks every field.
   *
   * @return this
   * @throws BadInputException naming the bad field
   */
  public ShapesConfig validate() {
    if (gridSize != 2 && gridSize != 3) {
      throw new BadInputException("shapes config: gridSize must be 2 or 3, got " + gridSize);
    }
    if (imageSize < 8 * gridSize) {
      throw new BadInputException(
          "shapes config: imageSize must be at least " + 8 * gridSize + ", got " + imageSize);
    }
    if (maxShapes < 1 || maxShapes > Math.min(9, gridSize * gridSize)) {
      throw new BadInputException(
          "shapes config: maxShapes must be in 1.."
              + Math.min(9, gridSize * gridSize)
              + ", got "
              + maxShapes);
    }
    for (ShapeColor c : ShapeColor.values()) {
      if (c.rgb() == (background & 0xffffff)) {
        throw new BadInputException("shapes config: background equals the colour " + c.word());
      }
    }
    return this;
  }
}
