package org.mmmamba.distill.data;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * Draws {@link ShapeObject}s with Java2D on a plain background, antialiasing off so every pixel is
 * either the background or exactly one object's colour (deterministic, and checkable pixel by
 * pixel).
 *
 * <p>Circle: {@code fillOval(x, y, s, s)}; square: {@code fillRect(x, y, s, s)}; triangle: the
 * polygon (x + s/2, y), (x, y + s), (x + s, y + s).
 */
public final class ShapesRenderer {
  private ShapesRenderer() {}

  /**
   * Renders one image.
   *
   * @param config image size and background
   * @param objects the objects (their boxes must lie inside the image)
   * @return an 8-bit RGB image
   */
  public static BufferedImage render(ShapesConfig config, List<ShapeObject> objects) {
    int n = config.imageSize();
    BufferedImage img = new BufferedImage(n, n, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
      g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
      g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
      g.setColor(new Color(config.background() & 0xffffff));
      g.fillRect(0, 0, n, n);
      for (ShapeObject o : objects) {
        g.setColor(new Color(o.color().rgb()));
        int x = o.x();
        int y = o.y();
        int s = o.size();
        switch (o.kind()) {
          case CIRCLE -> g.fillOval(x, y, s, s);
          case SQUARE -> g.fillRect(x, y, s, s);
          case TRIANGLE ->
              g.fillPolygon(new int[] {x + s / 2, x, x + s}, new int[] {y, y + s, y + s}, 3);
          default -> throw new IllegalStateException("unknown shape " + o.kind());
        }
      }
    } finally {
      g.dispose();
    }
    return img;
  }
}
