package org.mmmamba.core.vision;

import java.util.Arrays;
import java.util.Objects;

/**
 * An RGB image as 32-bit floats in [0, 1], stored planar (CHW): channel {@code c} of pixel ({@code
 * x}, {@code y}) is {@code data[(c * height + y) * width + x]}.
 *
 * <p>Value semantics: {@link #equals} and {@link #hashCode} compare the pixel contents. The array
 * is not copied on construction; treat it as read-only.
 *
 * @param width width in pixels, at least 1
 * @param height height in pixels, at least 1
 * @param data {@code 3 * height * width} floats, channel-major (R plane, G plane, B plane)
 */
public record RgbImage(int width, int height, float[] data) {

  /**
   * Checks the dimensions against the data length.
   *
   * @param width width in pixels, at least 1
   * @param height height in pixels, at least 1
   * @param data {@code 3 * height * width} floats, channel-major (R plane, G plane, B plane)
   */
  public RgbImage {
    Objects.requireNonNull(data, "data");
    if (width < 1 || height < 1) {
      throw new IllegalArgumentException(
          "image size must be positive, got " + width + "x" + height);
    }
    if (data.length != 3L * width * height) {
      throw new IllegalArgumentException(
          "data length " + data.length + " != 3*" + height + "*" + width);
    }
  }

  /**
   * A blank image of the given size filled with one colour.
   *
   * @param width width in pixels
   * @param height height in pixels
   * @param r red in [0, 1]
   * @param g green in [0, 1]
   * @param b blue in [0, 1]
   * @return a new image
   */
  public static RgbImage filled(int width, int height, float r, float g, float b) {
    float[] d = new float[3 * width * height];
    int plane = width * height;
    Arrays.fill(d, 0, plane, r);
    Arrays.fill(d, plane, 2 * plane, g);
    Arrays.fill(d, 2 * plane, 3 * plane, b);
    return new RgbImage(width, height, d);
  }

  /**
   * One channel value.
   *
   * @param c channel 0 (R), 1 (G) or 2 (B)
   * @param y row, 0 at the top
   * @param x column, 0 at the left
   * @return the value in [0, 1]
   */
  public float get(int c, int y, int x) {
    return data[(c * height + y) * width + x];
  }

  /**
   * A copy of a rectangular region.
   *
   * @param x0 left column of the region
   * @param y0 top row of the region
   * @param w region width
   * @param h region height
   * @return the cropped image
   * @throws IllegalArgumentException if the region does not lie inside the image
   */
  public RgbImage crop(int x0, int y0, int w, int h) {
    if (x0 < 0 || y0 < 0 || w < 1 || h < 1 || x0 + w > width || y0 + h > height) {
      throw new IllegalArgumentException(
          "crop " + x0 + "," + y0 + " " + w + "x" + h + " outside " + width + "x" + height);
    }
    float[] out = new float[3 * w * h];
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < h; y++) {
        System.arraycopy(data, (c * height + y0 + y) * width + x0, out, (c * h + y) * w, w);
      }
    }
    return new RgbImage(w, h, out);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RgbImage other
        && width == other.width
        && height == other.height
        && Arrays.equals(data, other.data);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * width + height) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "RgbImage[" + width + "x" + height + "]";
  }
}
