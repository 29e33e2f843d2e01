package org.mmmamba.core.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.BadInputException;

class ImagePreprocessorTest {
  @TempDir Path dir;

  @Test
  void normalizeIsPerChannel() {
    RgbImage img = RgbImage.filled(2, 1, 0.5f, 0.5f, 1f);
    float[] out = Normalize.apply(img, new float[] {0.5f, 0.25f, 0f}, new float[] {1f, 0.5f, 2f});
    assertArrayEquals(new float[] {0f, 0f, 0.5f, 0.5f, 0.5f, 0.5f}, out, 1e-7f);
  }

  @Test
  void pngRoundTripAndShape() throws Exception {
    BufferedImage bi = new BufferedImage(56, 28, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 56; x++) {
        bi.setRGB(x, y, 0xff0000 | ((x * 4) << 8) | 0x33);
      }
    }
    Path png = dir.resolve("a.png");
    ImageIO.write(bi, "png", png.toFile());
    RgbImage img = ImageIoLoader.load(png);
    assertEquals(56, img.width());
    assertEquals(1f, img.get(0, 3, 10));
    assertEquals(40 / 255f, img.get(1, 3, 10));
    assertEquals(0x33 / 255f, img.get(2, 3, 10));

    VisionConfig cfg = VisionConfig.defaults().withSizes(28, 7);
    PreprocessedImage p = new ImagePreprocessor(cfg).preprocess(png);
    assertEquals(3, p.numTiles()); // 2x1 grid + thumbnail
    assertArrayEquals(new long[] {3, 3, 28, 28}, p.shape());
    // red channel of tile 0 is (1 - 0.485) / 0.229 everywhere
    assertEquals((1f - 0.485f) / 0.229f, p.pixels()[0], 1e-5);
  }

  @Test
  void missingFileIsBadInputNamingIt() {
    Path missing = dir.resolve("nope.png");
    BadInputException e = assertThrows(BadInputException.class, () -> ImageIoLoader.load(missing));
    assertTrue(e.getMessage().contains("nope.png"), e.getMessage());
  }

  @Test
  void garbageFileIsBadInputNamingIt() throws Exception {
    Path junk = dir.resolve("junk.jpg");
    Files.writeString(junk, "this is not a jpeg");
    BadInputException e = assertThrows(BadInputException.class, () -> ImageIoLoader.load(junk));
    assertTrue(e.getMessage().contains("junk.jpg"), e.getMessage());
  }

  @Test
  void bufferedImageRoundTrip() {
    RgbImage img = RgbImage.filled(3, 2, 1f, 0.2f, 0f);
    assertEquals(
        img.get(1, 1, 1),
        ImageIoLoader.fromBufferedImage(ImageIoLoader.toBufferedImage(img)).get(1, 1, 1),
        0.5f / 255);
  }
}
