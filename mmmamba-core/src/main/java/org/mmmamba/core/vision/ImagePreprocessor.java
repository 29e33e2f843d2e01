package org.mmmamba.core.vision;

import java.nio.file.Path;
import java.util.List;

/**
 * The whole HoVLE image path: load, dynamic tiling (+ thumbnail), bicubic resize, normalisation,
 * giving a {@link PreprocessedImage} of shape (numTiles, 3, S, S).
 */
public final class ImagePreprocessor {
  private final VisionConfig config;
  private final DynamicTiler tiler;

  /**
   * Creates a preprocessor.
   *
   * @param config vision settings (validated here)
   */
  public ImagePreprocessor(VisionConfig config) {
    this.config = config.validate();
    this.tiler = new DynamicTiler(config);
  }

  /**
   * @return the configuration in use
   */
  public VisionConfig config() {
    return config;
  }

  /**
   * Loads and preprocesses an image file.
   *
   * @param file a PNG or JPEG file
   * @return the normalised tiles
   * @throws org.mmmamba.core.BadInputException if the file cannot be read
   */
  public PreprocessedImage preprocess(Path file) {
    return preprocess(ImageIoLoader.load(file));
  }

  /**
   * Preprocesses a decoded image.
   *
   * @param image pixels in [0, 1]
   * @return the normalised tiles
   */
  public PreprocessedImage preprocess(RgbImage image) {
    List<RgbImage> tiles = tiler.tile(image);
    int s = config.imageSize();
    int per = 3 * s * s;
    float[] out = new float[tiles.size() * per];
    float[] mean = config.mean();
    float[] std = config.std();
    for (int t = 0; t < tiles.size(); t++) {
      Normalize.apply(tiles.get(t), mean, std, out, t * per);
    }
    return new PreprocessedImage(out, tiles.size(), s);
  }
}
