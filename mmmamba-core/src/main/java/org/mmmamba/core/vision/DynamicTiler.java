package org.mmmamba.core.vision;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * InternVL/HoVLE {@code dynamic_preprocess}: resize an image to the tile grid whose aspect ratio is
 * closest to the image's, cut it into square tiles row-major, and append a thumbnail.
 *
 * <p>Steps, as in the reference:
 *
 * <ol>
 *   <li>Candidates: every grid {@code (cols, rows)} with {@code minTiles <= cols*rows <= maxTiles},
 *       visited in ascending order of {@code cols*rows}. Python visits a {@code set} sorted by area
 *       only, so the order of equal-area grids there follows CPython's set iteration; we break such
 *       ties by ascending {@code cols}. The two orders can only disagree when two grids of the same
 *       area have exactly the same distance to the image ratio.
 *   <li>The best grid minimises {@code |w/h - cols/rows|}; on an exact tie a later candidate
 *       replaces the current one when {@code w*h > 0.5 * S^2 * cols * rows} (prefer more tiles for
 *       big images).
 *   <li>Resize (bicubic, {@link Bicubic}) to {@code (S*cols, S*rows)} and cut tiles left to right,
 *       top to bottom.
 *   <li>If {@code useThumbnail} and there is more than one tile, append the whole image resized to
 *       {@code S x S}.
 * </ol>
 */
public final class DynamicTiler {
  private final VisionConfig config;

  /**
   * Creates a tiler.
   *
   * @param config tile size and tiling bounds (validated here)
   */
  public DynamicTiler(VisionConfig config) {
    this.config = config.validate();
  }

  /**
   * Picks the tile grid for an image size.
   *
   * @param width image width in pixels
   * @param height image height in pixels
   * @return the chosen grid
   */
  public TileGrid chooseGrid(int width, int height) {
    double aspect = (double) width / height;
    double area = (double) width * height;
    double s = config.imageSize();
    List<TileGrid> candidates = new ArrayList<>();
    for (int c = 1; c <= config.maxTiles(); c++) {
      for (int r = 1; r <= config.maxTiles(); r++) {
        int n = c * r;
        if (n >= config.minTiles() && n <= config.maxTiles()) {
          candidates.add(new TileGrid(c, r));
        }
      }
    }
    candidates.sort(Comparator.comparingInt(TileGrid::tiles).thenComparingInt(TileGrid::cols));
    double bestDiff = Double.POSITIVE_INFINITY;
    TileGrid best = new TileGrid(1, 1);
    for (TileGrid g : candidates) {
      double diff = Math.abs(aspect - (double) g.cols() / g.rows());
      if (diff < bestDiff) {
        bestDiff = diff;
        best = g;
      } else if (diff == bestDiff && area > 0.5 * s * s * g.cols() * g.rows()) {
        best = g;
      }
    }
    return best;
  }

  /**
   * Tiles an image.
   *
   * @param image the input image
   * @return the tiles (each {@code S x S}), row-major, then the thumbnail if any
   */
  public List<RgbImage> tile(RgbImage image) {
    int s = config.imageSize();
    TileGrid g = chooseGrid(image.width(), image.height());
    RgbImage resized = Bicubic.resize(image, s * g.cols(), s * g.rows());
    List<RgbImage> tiles = new ArrayList<>(g.tiles() + 1);
    for (int i = 0; i < g.tiles(); i++) {
      int col = i % g.cols();
      int row = i / g.cols();
      tiles.add(resized.crop(col * s, row * s, s, s));
    }
    if (config.useThumbnail() && tiles.size() != 1) {
      tiles.add(Bicubic.resize(image, s, s));
    }
    return tiles;
  }
}
