package org.mmmamba.core.vision;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.mmmamba.core.BadInputException;

/**
 * Decodes PNG and JPEG files with {@code javax.imageio} into {@link RgbImage}s.
 *
 * <p>Like {@code PIL.Image.open(path).convert("RGB")}: grey and palette images are expanded to RGB
 * and an alpha channel is dropped (not composited). 8-bit values {@code v} become {@code v / 255f}.
 */
public final class ImageIoLoader {
  private ImageIoLoader() {}

  /**
   * Reads an image file.
   *
   * @param file a PNG or JPEG file
   * @return the decoded image
   * @throws BadInputException if the file is missing, unreadable or not a decodable image
   */
  public static RgbImage load(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new BadInputException("image file not found: " + file);
    }
    BufferedImage img;
    try (InputStream in = Files.newInputStream(file)) {
      img = ImageIO.read(in);
    } catch (IOException | RuntimeException e) {
      throw new BadInputException("cannot decode image " + file + ": " + e.getMessage(), e);
    }
    if (img == null) {
      throw new BadInputException("not a readable PNG/JPEG image: " + file);
    }
    return fromBufferedImage(img);
  }

  /**
   * Converts a Java2D image to planar float RGB in [0, 1] (alpha, if any, is ignored).
   *
   * @param img any {@link BufferedImage}
   * @return the image as {@link RgbImage}
   */
  public static RgbImage fromBufferedImage(BufferedImage img) {
    int w = img.getWidth();
    int h = img.getHeight();
    int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
    float[] d = new float[3 * w * h];
    int plane = w * h;
    for (int i = 0; i < plane; i++) {
      int p = argb[i];
      d[i] = ((p >> 16) & 0xff) / 255f;
      d[plane + i] = ((p >> 8) & 0xff) / 255f;
      d[2 * plane + i] = (p & 0xff) / 255f;
    }
    return new RgbImage(w, h, d);
  }

  /**
   * Converts to an 8-bit {@link BufferedImage#TYPE_INT_RGB} image, rounding to the nearest level
   * and clamping to [0, 255].
   *
   * @param img the float image
   * @return a new Java2D image
   */
  public static BufferedImage toBufferedImage(RgbImage img) {
    int w = img.width();
    int h = img.height();
    int plane = w * h;
    float[] d = img.data();
    int[] rgb = new int[plane];
    for (int i = 0; i < plane; i++) {
      rgb[i] = (to8(d[i]) << 16) | (to8(d[plane + i]) << 8) | to8(d[2 * plane + i]);
    }
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    out.setRGB(0, 0, w, h, rgb, 0, w);
    return out;
  }

  private static int to8(float v) {
    int x = Math.round(v * 255f);
    return Math.max(0, Math.min(255, x));
  }
}
