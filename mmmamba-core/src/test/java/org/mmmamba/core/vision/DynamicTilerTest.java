package org.mmmamba.core.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class DynamicTilerTest {

  private static VisionConfig cfg(int size, int min, int max, boolean thumb) {
    return VisionConfig.defaults().withSizes(size, size / 4).withTiling(min, max, thumb);
  }

  @Test
  void wideImageGetsTwoByOneGridPlusThumbnail() {
    // 800x400, ratio 2: (2,1) has diff 0 and is seen first; (4,2) ties but 320000 <= 0.5*448^2*8.
    DynamicTiler t = new DynamicTiler(cfg(448, 1, 6, true));
    assertEquals(new TileGrid(2, 1), t.chooseGrid(800, 400));
    List<RgbImage> tiles = t.tile(RgbImage.filled(800, 400, 0.1f, 0.2f, 0.3f));
    assertEquals(3, tiles.size());
    for (RgbImage tile : tiles) {
      assertEquals(448, tile.width());
      assertEquals(448, tile.height());
    }
  }

  @Test
  void squareImageIsOneTileWithoutThumbnail() {
    DynamicTiler t = new DynamicTiler(cfg(28, 1, 12, true));
    // 20x20: (1,1) has diff 0; the (2,2) tie needs 400 > 0.5*28^2*4 = 1568, false.
    assertEquals(new TileGrid(1, 1), t.chooseGrid(20, 20));
    assertEquals(1, t.tile(RgbImage.filled(20, 20, 0, 0, 0)).size());
  }

  @Test
  void largerSquareImageTakesTheTieToTwoByTwo() {
    DynamicTiler t = new DynamicTiler(cfg(28, 1, 12, true));
    // 50x50: 2500 > 1568, so (2,2) replaces (1,1); (3,3) needs 2500 > 3528, false.
    assertEquals(new TileGrid(2, 2), t.chooseGrid(50, 50));
    assertEquals(5, t.tile(RgbImage.filled(50, 50, 0, 0, 0)).size());
  }

  @Test
  void tallImageGetsOneByThree() {
    // ratio 0.3: (1,3) diff 0.0333 beats (1,4) 0.05, (1,2) 0.2, (2,7)/(3,10) exceed 12 tiles.
    DynamicTiler t = new DynamicTiler(cfg(28, 1, 12, true));
    assertEquals(new TileGrid(1, 3), t.chooseGrid(30, 100));
    assertEquals(4, t.tile(RgbImage.filled(30, 100, 0, 0, 0)).size());
  }

  @Test
  void tiesPreferMoreTilesOnlyForLargeImages() {
    DynamicTiler t = new DynamicTiler(cfg(28, 1, 12, true));
    // 200x100: area 20000 > 0.5*28^2*8 = 3136, so (4,2) replaces (2,1); (6,3) has 18 tiles (> 12).
    assertEquals(new TileGrid(4, 2), t.chooseGrid(200, 100));
    // 40x20: (2,1) has diff 0; the tie with (4,2) needs 800 > 3136, false, so (2,1) stays.
    assertEquals(new TileGrid(2, 1), t.chooseGrid(40, 20));
  }

  @Test
  void minTilesExcludesSmallGrids() {
    DynamicTiler t = new DynamicTiler(cfg(28, 2, 4, false));
    // square image, 1x1 not allowed. Area 2: (1,2) diff .5, (2,1) diff 1; area 3: (1,3) .667,
    // (3,1) 2; area 4: (1,4) .75, (2,2) 0, (4,1) 3. So (2,2).
    assertEquals(new TileGrid(2, 2), t.chooseGrid(10, 10));
  }

  @Test
  void tilesAreCutRowMajorAndThumbnailIsLast() {
    // 56x28 with 28-pixel tiles: grid (2,1), no resize needed, so the tiles are the two halves.
    float[] d = new float[3 * 56 * 28];
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 56; x++) {
        d[y * 56 + x] = x < 28 ? 0.25f : 0.75f; // red channel: left 0.25, right 0.75
      }
    }
    RgbImage img = new RgbImage(56, 28, d);
    List<RgbImage> tiles = new DynamicTiler(cfg(28, 1, 12, true)).tile(img);
    assertEquals(3, tiles.size());
    assertEquals(img.crop(0, 0, 28, 28), tiles.get(0));
    assertEquals(img.crop(28, 0, 28, 28), tiles.get(1));
    assertEquals(Bicubic.resize(img, 28, 28), tiles.get(2));
    assertEquals(0.25f, tiles.get(0).get(0, 5, 5), 0);
    assertEquals(0.75f, tiles.get(1).get(0, 5, 5), 0);
  }

  @Test
  void twoByTwoGridOrder() {
    // 4 quadrants with distinct red values; grid (2,2) for a square image with min 4 tiles.
    float[] d = new float[3 * 56 * 56];
    for (int y = 0; y < 56; y++) {
      for (int x = 0; x < 56; x++) {
        d[y * 56 + x] = (y < 28 ? 0f : 0.5f) + (x < 28 ? 0.1f : 0.2f);
      }
    }
    List<RgbImage> tiles = new DynamicTiler(cfg(28, 4, 4, false)).tile(new RgbImage(56, 56, d));
    assertEquals(4, tiles.size());
    assertEquals(0.1f, tiles.get(0).get(0, 3, 3), 1e-6);
    assertEquals(0.2f, tiles.get(1).get(0, 3, 3), 1e-6);
    assertEquals(0.6f, tiles.get(2).get(0, 3, 3), 1e-6);
    assertEquals(0.7f, tiles.get(3).get(0, 3, 3), 1e-6);
  }

  /**
   * Grids chosen by InternVL's own {@code dynamic_preprocess} code (run in Python on these sizes,
   * 448 tiles, min 1): {width, height, maxTiles, cols, rows}.
   */
  @Test
  void matchesInternVlReferenceOnRandomSizes() {
    int[][] golden = {
      {367, 734, 6, 1, 2},
      {126, 579, 24, 2, 9},
      {1075, 408, 12, 5, 2},
      {1171, 3037, 12, 2, 5},
      {187, 187, 24, 1, 1},
      {893, 1010, 12, 2, 2},
      {400, 400, 24, 1, 1},
      {716, 1432, 12, 2, 4},
      {2188, 3704, 12, 2, 3},
      {434, 313, 12, 4, 3},
      {1168, 1975, 12, 2, 3},
      {236, 3675, 12, 1, 12},
      {1750, 876, 12, 4, 2},
      {2257, 148, 6, 6, 1},
      {443, 222, 12, 2, 1},
      {2501, 2501, 12, 3, 3},
      {383, 766, 24, 1, 2},
      {310, 310, 24, 1, 1},
      {1167, 2247, 24, 3, 6},
      {2376, 1543, 12, 3, 2},
      {822, 412, 6, 2, 1},
      {2415, 2415, 24, 4, 4},
      {1224, 1224, 12, 3, 3},
      {640, 3225, 6, 1, 5},
      {369, 369, 12, 1, 1},
      {483, 2661, 12, 1, 6},
      {3888, 1796, 12, 4, 2},
      {546, 1109, 6, 1, 2},
      {490, 490, 12, 1, 1},
      {275, 138, 12, 2, 1},
      {655, 655, 24, 2, 2},
      {2328, 946, 12, 5, 2},
      {1077, 2290, 24, 3, 6},
      {1162, 798, 6, 3, 2},
      {3515, 3319, 6, 2, 2},
      {3702, 7404, 6, 1, 2},
      {54, 54, 12, 1, 1},
      {140, 140, 12, 1, 1},
      {1035, 552, 6, 2, 1},
      {2190, 660, 6, 3, 1}
    };
    for (int[] g : golden) {
      DynamicTiler t = new DynamicTiler(cfg(448, 1, g[2], true));
      assertEquals(
          new TileGrid(g[3], g[4]), t.chooseGrid(g[0], g[1]), g[0] + "x" + g[1] + " max " + g[2]);
    }
  }
}
