package org.mmmamba.core.vision;

/**
 * Per-channel normalisation {@code (x - mean[c]) / std[c]}, the last step of the InternVL transform
 * ({@code T.Normalize(IMAGENET_MEAN, IMAGENET_STD)}).
 */
public final class Normalize {
  private Normalize() {}

  /**
   * Normalises an image.
   *
   * @param image pixels in [0, 1]
   * @param mean per-channel mean (3 values)
   * @param std per-channel standard deviation (3 positive values)
   * @return a new CHW float array of length {@code 3 * height * width}
   */
  public static float[] apply(RgbImage image, float[] mean, float[] std) {
    float[] out = new float[image.data().length];
    apply(image, mean, std, out, 0);
    return out;
  }

  /**
   * Normalises an image into part of a larger array (e.g. one tile of a batch).
   *
   * @param image pixels in [0, 1]
   * @param mean per-channel mean (3 values)
   * @param std per-channel standard deviation (3 positive values)
   * @param out destination array
   * @param offset where the tile's first value goes in {@code out}
   */
  public static void apply(RgbImage image, float[] mean, float[] std, float[] out, int offset) {
    if (mean.length != 3 || std.length != 3) {
      throw new IllegalArgumentException("mean and std need 3 values each");
    }
    float[] d = image.data();
    int plane = image.width() * image.height();
    for (int c = 0; c < 3; c++) {
      float m = mean[c];
      float inv = 1f / std[c];
      int base = c * plane;
      for (int i = 0; i < plane; i++) {
        out[offset + base + i] = (d[base + i] - m) * inv;
      }
    }
  }
}
