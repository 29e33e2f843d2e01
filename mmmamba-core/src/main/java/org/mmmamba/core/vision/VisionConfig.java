package org.mmmamba.core.vision;

import java.util.Objects;
import org.mmmamba.core.BadInputException;

/**
 * How images become model input: tile size, patch size, dynamic tiling bounds, normalisation and
 * the pixel-shuffle ratio (docs/method.md §6).
 *
 * <p>HoVLE uses 448-pixel tiles, 14-pixel patches (32 x 32 patches per tile), 1 to 12 tiles plus a
 * thumbnail, ImageNet mean/std and a 0.5 pixel shuffle, giving 256 tokens per tile. Tiny test
 * models use e.g. 28-pixel tiles with 7-pixel patches.
 *
 * @param imageSize side of one square tile in pixels (HoVLE: 448)
 * @param patchSize side of one patch in pixels (HoVLE: 14); must divide {@code imageSize}
 * @param minTiles smallest number of tiles in the dynamic grid (at least 1)
 * @param maxTiles largest number of tiles in the dynamic grid (at least {@code minTiles})
 * @param useThumbnail append a whole-image thumbnail tile when the grid has more than one tile
 * @param mean per-channel mean (R, G, B) subtracted after scaling to [0, 1]
 * @param std per-channel standard deviation (R, G, B), all positive
 * @param downsampleRatio pixel-shuffle ratio; only 0.5 is supported (2 x 2 patches per token)
 */
public record VisionConfig(
    int imageSize,
    int patchSize,
    int minTiles,
    int maxTiles,
    boolean useThumbnail,
    float[] mean,
    float[] std,
    double downsampleRatio) {

  /** ImageNet channel means, as used by InternVL and HoVLE. */
  public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};

  /** ImageNet channel standard deviations, as used by InternVL and HoVLE. */
  public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

  /**
   * Copies the arrays so the record cannot change behind the caller's back.
   *
   * @param imageSize side of one square tile in pixels (HoVLE: 448)
   * @param patchSize side of one patch in pixels (HoVLE: 14); must divide {@code imageSize}
   * @param minTiles smallest number of tiles in the dynamic grid (at least 1)
   * @param maxTiles largest number of tiles in the dynamic grid (at least {@code minTiles})
   * @param useThumbnail append a whole-image thumbnail tile when the grid has more than one tile
   * @param mean per-channel mean (R, G, B) subtracted after scaling to [0, 1]
   * @param std per-channel standard deviation (R, G, B), all positive
   * @param downsampleRatio pixel-shuffle ratio; only 0.5 is supported (2 x 2 patches per token)
   */
  public VisionConfig {
    mean = mean == null ? null : mean.clone();
    std = std == null ? null : std.clone();
  }

  /**
   * The HoVLE defaults: 448-pixel tiles, patch 14, 1..12 tiles, thumbnail on, ImageNet mean/std,
   * 0.5.
   *
   * @return the default configuration
   */
  public static VisionConfig defaults() {
    return new VisionConfig(448, 14, 1, 12, true, IMAGENET_MEAN, IMAGENET_STD, 0.5);
  }

  /**
   * A copy with another tile and patch size (e.g. 28 and 7 for tiny models).
   *
   * @param newImageSize tile side in pixels
   * @param newPatchSize patch side in pixels
   * @return the modified configuration
   */
  public VisionConfig withSizes(int newImageSize, int newPatchSize) {
    return new VisionConfig(
        newImageSize, newPatchSize, minTiles, maxTiles, useThumbnail, mean, std, downsampleRatio);
  }

  /**
   * A copy with other tiling bounds.
   *
   * @param newMinTiles smallest tile count
   * @param newMaxTiles largest tile count
   * @param newUseThumbnail whether to append a thumbnail
   * @return the modified configuration
   */
  public VisionConfig withTiling(int newMinTiles, int newMaxTiles, boolean newUseThumbnail) {
    return new VisionConfig(
        imageSize,
        patchSize,
        newMinTiles,
        newMaxTiles,
        newUseThumbnail,
        mean,
        std,
        downsampleRatio);
  }

  /**
   * @return the per-channel means (a copy)
   */
  @Override
  public float[] mean() {
    return mean == null ? null : mean.clone();
  }

  /**
   * @return the per-channel standard deviations (a copy)
   */
  @Override
  public float[] std() {
    return std == null ? null : std.clone();
  }

  /**
   * @return patches per tile side, {@code imageSize / patchSize}
   */
  public int patchesPerSide() {
    return imageSize / patchSize;
  }

  /**
   * @return image tokens per tile after the pixel shuffle, {@code (patchesPerSide / 2)^2}
   */
  public int tokensPerTile() {
    int side = patchesPerSide() / 2;
    return side * side;
  }

  /**
   * Checks every field.
   *
   * @return this, for chaining
   * @throws BadInputException naming the first bad field
   */
  public VisionConfig validate() {
    if (imageSize < 1) {
      throw bad("imageSize", "must be positive, got " + imageSize);
    }
    if (patchSize < 1 || imageSize % patchSize != 0) {
      throw bad("patchSize", "must divide imageSize " + imageSize + ", got " + patchSize);
    }
    if (downsampleRatio != 0.5) {
      throw bad("downsampleRatio", "only 0.5 is supported, got " + downsampleRatio);
    }
    if (patchesPerSide() % 2 != 0) {
      throw bad(
          "patchSize",
          "imageSize/patchSize = " + patchesPerSide() + " must be even for the 0.5 pixel shuffle");
    }
    if (minTiles < 1) {
      throw bad("minTiles", "must be at least 1, got " + minTiles);
    }
    if (maxTiles < minTiles) {
      throw bad("maxTiles", "must be at least minTiles " + minTiles + ", got " + maxTiles);
    }
    checkTriple("mean", mean, false);
    checkTriple("std", std, true);
    return this;
  }

  private static void checkTriple(String field, float[] v, boolean positive) {
    if (v == null || v.length != 3) {
      throw bad(field, "must have 3 values (R, G, B)");
    }
    for (float x : v) {
      if (!Float.isFinite(x) || (positive && x <= 0)) {
        throw bad(field, "must be finite" + (positive ? " and positive" : "") + ", got " + x);
      }
    }
  }

  private static BadInputException bad(String field, String why) {
    return new BadInputException("vision config: " + field + " " + why);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VisionConfig v
        && imageSize == v.imageSize
        && patchSize == v.patchSize
        && minTiles == v.minTiles
        && maxTiles == v.maxTiles
        && useThumbnail == v.useThumbnail
        && java.util.Arrays.equals(mean, v.mean)
        && java.util.Arrays.equals(std, v.std)
        && Double.compare(downsampleRatio, v.downsampleRatio) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(imageSize, patchSize, minTiles, maxTiles, useThumbnail, downsampleRatio)
        + 31 * java.util.Arrays.hashCode(mean)
        + 17 * java.util.Arrays.hashCode(std);
  }

  @Override
  public String toString() {
    return "VisionConfig[imageSize="
        + imageSize
        + ", patchSize="
        + patchSize
        + ", tiles="
        + minTiles
        + ".."
        + maxTiles
        + ", useThumbnail="
        + useThumbnail
        + ", mean="
        + java.util.Arrays.toString(mean)
        + ", std="
        + java.util.Arrays.toString(std)
        + ", downsampleRatio="
        + downsampleRatio
        + "]";
  }
}
