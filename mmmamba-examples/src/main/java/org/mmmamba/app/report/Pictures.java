package org.mmmamba.app.report;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.RenderedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import javax.imageio.ImageIO;
import org.mmmamba.core.vision.RgbImage;

/**
 * Images for people: an {@link RgbImage} (planar floats in [0, 1]) as a {@link BufferedImage},
 * enlarged with nearest-neighbour so that 28-pixel task images stay crisp, and a captioned contact
 * sheet. IJava shows a {@link RenderedImage} passed to {@code display(...)} as an inline PNG.
 * Headless: no display is needed.
 */
public final class Pictures {
  static {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private static final int PAD = 8;
  private static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 13);

  private Pictures() {}

  /**
   * The image as 8-bit sRGB, each pixel drawn as a {@code scale} x {@code scale} block.
   *
   * @param image planar RGB (3, H, W) in [0, 1]; values outside are clamped
   * @param scale enlargement factor, at least 1
   * @return a new (W*scale) x (H*scale) image
   */
  public static BufferedImage of(RgbImage image, int scale) {
    if (scale < 1) {
      throw new IllegalArgumentException("scale must be >= 1, got " + scale);
    }
    int w = image.width();
    int h = image.height();
    BufferedImage out = new BufferedImage(w * scale, h * scale, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int rgb =
            (channel(image, 0, y, x) << 16)
                | (channel(image, 1, y, x) << 8)
                | channel(image, 2, y, x);
        for (int dy = 0; dy < scale; dy++) {
          for (int dx = 0; dx < scale; dx++) {
            out.setRGB(x * scale + dx, y * scale + dy, rgb);
          }
        }
      }
    }
    return out;
  }

  /**
   * The images side by side, each enlarged by {@code scale}, with its caption below it (lines split
   * at {@code '\n'}).
   *
   * @param images at least one image
   * @param captions one caption per image (may be empty strings)
   * @param scale enlargement factor, at least 1
   * @return one image holding all of them on white
   */
  public static BufferedImage sheet(List<RgbImage> images, List<String> captions, int scale) {
    if (images.isEmpty() || images.size() != captions.size()) {
      throw new IllegalArgumentException(
          "need one caption per image and at least one image, got "
              + images.size()
              + " images and "
              + captions.size()
              + " captions");
    }
    BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
    Graphics2D pg = probe.createGraphics();
    FontMetrics fm = pg.getFontMetrics(FONT);
    pg.dispose();
    int cellW = 0;
    int imgH = 0;
    int lines = 1;
    for (int i = 0; i < images.size(); i++) {
      cellW = Math.max(cellW, images.get(i).width() * scale);
      imgH = Math.max(imgH, images.get(i).height() * scale);
      for (String line : captions.get(i).split("\n", -1)) {
        cellW = Math.max(cellW, fm.stringWidth(line));
      }
      lines = Math.max(lines, captions.get(i).split("\n", -1).length);
    }
    int lineH = fm.getHeight();
    int cellH = imgH + PAD + lines * lineH;
    BufferedImage out =
        new BufferedImage(
            PAD + images.size() * (cellW + PAD), 2 * PAD + cellH, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    try {
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, out.getWidth(), out.getHeight());
      g.setFont(FONT);
      g.setColor(Color.BLACK);
      for (int i = 0; i < images.size(); i++) {
        int x0 = PAD + i * (cellW + PAD);
        BufferedImage img = of(images.get(i), scale);
        g.drawImage(img, x0 + (cellW - img.getWidth()) / 2, PAD, null);
        int y = PAD + imgH + PAD + fm.getAscent();
        for (String line : captions.get(i).split("\n", -1)) {
          g.drawString(line, x0, y);
          y += lineH;
        }
      }
    } finally {
      g.dispose();
    }
    return out;
  }

  /**
   * PNG bytes of an image (for a notebook's {@code image/png} output or a file).
   *
   * @param image any rendered image
   * @return the PNG file's bytes
   */
  public static byte[] png(RenderedImage image) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static int channel(RgbImage image, int c, int y, int x) {
    float v = image.get(c, y, x);
    return Math.round(Math.max(0f, Math.min(1f, v)) * 255f);
  }
}
