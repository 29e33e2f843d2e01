package org.mmmamba.distill.data;

import java.util.ArrayList;
import java.util.List;
import org.mmmamba.core.vision.RgbImage;

/**
 * Answers shapes questions from pixels alone, independently of the generator: finds the 8-connected
 * blobs of non-background pixels, their colour (exact palette match), their kind (fill ratio of the
 * bounding box: square ~1, circle ~0.8, triangle ~0.5) and their grid cell.
 */
final class PixelOracle {
  record Blob(ShapeColor color, ShapeKind kind, int row, int col, int pixels) {}

  private PixelOracle() {}

  static int rgbAt(RgbImage img, int x, int y) {
    int r = Math.round(img.get(0, y, x) * 255);
    int g = Math.round(img.get(1, y, x) * 255);
    int b = Math.round(img.get(2, y, x) * 255);
    return (r << 16) | (g << 8) | b;
  }

  static List<Blob> blobs(RgbImage img, ShapesConfig cfg) {
    int n = img.width();
    int[] rgb = new int[n * n];
    for (int y = 0; y < n; y++) {
      for (int x = 0; x < n; x++) {
        rgb[y * n + x] = rgbAt(img, x, y);
      }
    }
    boolean[] seen = new boolean[n * n];
    List<Blob> out = new ArrayList<>();
    for (int start = 0; start < n * n; start++) {
      if (seen[start] || rgb[start] == cfg.background()) {
        continue;
      }
      int colour = rgb[start];
      int minX = n;
      int minY = n;
      int maxX = -1;
      int maxY = -1;
      int count = 0;
      int[] stack = new int[n * n];
      int sp = 0;
      stack[sp++] = start;
      seen[start] = true;
      while (sp > 0) {
        int p = stack[--sp];
        if (rgb[p] != colour) {
          throw new AssertionError("blob mixes colours");
        }
        int x = p % n;
        int y = p / n;
        count++;
        minX = Math.min(minX, x);
        maxX = Math.max(maxX, x);
        minY = Math.min(minY, y);
        maxY = Math.max(maxY, y);
        for (int dy = -1; dy <= 1; dy++) {
          for (int dx = -1; dx <= 1; dx++) {
            int xx = x + dx;
            int yy = y + dy;
            if (xx >= 0 && yy >= 0 && xx < n && yy < n) {
              int q = yy * n + xx;
              if (!seen[q] && rgb[q] != cfg.background()) {
                seen[q] = true;
                stack[sp++] = q;
              }
            }
          }
        }
      }
      double fill = (double) count / ((maxX - minX + 1) * (maxY - minY + 1));
      ShapeKind kind =
          fill > 0.97 ? ShapeKind.SQUARE : fill > 0.66 ? ShapeKind.CIRCLE : ShapeKind.TRIANGLE;
      ShapeColor color = null;
      for (ShapeColor c : ShapeColor.values()) {
        if (c.rgb() == colour) {
          color = c;
        }
      }
      if (color == null) {
        throw new AssertionError("colour " + Integer.toHexString(colour) + " not in the palette");
      }
      double cx = (minX + maxX + 1) / 2.0;
      double cy = (minY + maxY + 1) / 2.0;
      int g = cfg.gridSize();
      out.add(new Blob(color, kind, (int) (cy * g / n), (int) (cx * g / n), count));
    }
    return out;
  }

  /** The answer the pixels give, or a string starting with "?" when the question is ambiguous. */
  static String answer(ShapesSample s, ShapesConfig cfg) {
    List<Blob> blobs = blobs(s.image(), cfg);
    String[] w = s.question().split(" ");
    switch (s.questionType()) {
      case COLOR:
        {
          List<Blob> m = blobs.stream().filter(b -> b.kind().word().equals(w[4])).toList();
          return m.size() == 1 ? m.get(0).color().word() : "?" + m.size();
        }
      case SHAPE:
        {
          List<Blob> m = blobs.stream().filter(b -> b.color().word().equals(w[4])).toList();
          return m.size() == 1 ? m.get(0).kind().word() : "?" + m.size();
        }
      case COUNT:
        return ShapesTask.NUMBERS.get(blobs.size() - 1);
      case POSITION:
        {
          List<Blob> m =
              blobs.stream()
                  .filter(b -> b.color().word().equals(w[3]) && b.kind().word().equals(w[4]))
                  .toList();
          return m.size() == 1
              ? ShapesTask.positionName(cfg.gridSize(), m.get(0).row(), m.get(0).col())
              : "?" + m.size();
        }
      default:
        throw new AssertionError();
    }
  }
}
