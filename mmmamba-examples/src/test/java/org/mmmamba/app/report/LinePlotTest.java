package org.mmmamba.app.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class LinePlotTest {
  /** A loss-curve-like plot; also written to target/test-plots for people to look at. */
  static LinePlot lossCurves(boolean logY) {
    int n = 400;
    double[] x = new double[n];
    double[] a = new double[n];
    double[] b = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = i * 50;
      a[i] = 2.0 * Math.exp(-i / 60.0) + 0.02 + 0.01 * Math.sin(i);
      b[i] = 1.5 * Math.exp(-i / 90.0) + 0.05;
    }
    double[] ex = {0, 5000, 10000, 15000, 19950};
    double[] ey = {2.1, 0.35, 0.09, 0.06, 0.055};
    return LinePlot.builder()
        .title("Distillation loss")
        .xLabel("optimizer step")
        .yLabel("loss (MSE × 1000)")
        .logY(logY)
        .series("stage 1 (train)", x, a)
        .series("stage 2 (train)", x, b)
        .series("eval", ex, ey)
        .build();
  }

  @Test
  void writesADeterministicReadablePng() throws IOException {
    LinePlot p = lossCurves(true);
    byte[] png = p.toPng();
    assertArrayEquals(png, p.toPng(), "same input, same bytes");
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
    assertEquals(800, img.getWidth());
    assertEquals(500, img.getHeight());
    assertEquals(0xffffff, img.getRGB(2, 2) & 0xffffff, "white background");
    assertTrue(count(img, 0x1f77b4) > 200, "first series drawn in its colour");
    assertTrue(count(img, 0xff7f0e) > 200, "second series drawn");
    assertTrue(count(img, 0x2ca02c) > 20, "third series (markers) drawn");
    Path out = Path.of("target", "test-plots");
    Files.createDirectories(out);
    p.write(out.resolve("loss-logy.png"));
    lossCurves(false).write(out.resolve("loss-linear.png"));
    assertArrayEquals(png, Files.readAllBytes(out.resolve("loss-logy.png")));
  }

  @Test
  void logLogBenchmarkStyleAndEdgeCases() throws IOException {
    double[] tokens = {1024, 4096, 8192, 16384, 32768, 65536, 105472, 131072};
    double[] attn = {3.1, 9.8, 18.0, 35.5, 70.2, 141.0, 142.65, Double.NaN}; // NaN: OOM, line breaks
    double[] mamba = {6.9, 6.9, 6.9, 6.9, 6.9, 6.9, 6.94, 6.95};
    LinePlot p = LinePlot.builder().title("Decode latency").xLabel("context length (tokens)")
        .yLabel("latency per token (ms)").logX(true).logY(true)
        .series("attention", tokens, attn).series("mamba-2", tokens, mamba).series("bad", new double[] {-1, 0}, new double[] {1, 2})
        .build();
    Path out = Path.of("target", "test-plots");
    Files.createDirectories(out);
    p.write(out.resolve("latency-loglog.png"));
    BufferedImage empty = LinePlot.builder().title("nothing").build().render();
    assertEquals(800, empty.getWidth());
    assertThrows(IllegalArgumentException.class, () -> LinePlot.builder().series("s", new double[2], new double[3]));
    assertThrows(IllegalArgumentException.class, () -> LinePlot.builder().size(10, 10));
    // a constant series still gets a usable axis
    LinePlot.builder().series("flat", new double[] {1, 2}, new double[] {3, 3}).build().render();
  }

  @Test
  void legendAvoidsTheData() throws IOException {
    java.awt.geom.Rectangle2D plot = new java.awt.geom.Rectangle2D.Double(100, 50, 600, 400);
    List<double[]> none = List.of();
    assertArrayEquals(new double[] {590, 60}, LinePlot.legendCorner(plot, 100, 50, none), "top right by default");
    // A rising diagonal (pixel y grows downwards) fills the top-right and bottom-left corners: top left is free.
    List<double[]> diagonal = new java.util.ArrayList<>();
    for (int i = 0; i <= 100; i++) {
      diagonal.add(new double[] {100 + 6 * i, 450 - 4 * i});
    }
    assertArrayEquals(new double[] {110, 60}, LinePlot.legendCorner(plot, 100, 50, diagonal));
    // Only the top is busy: bottom right.
    List<double[]> top = new java.util.ArrayList<>();
    for (int i = 0; i <= 100; i++) {
      top.add(new double[] {100 + 6 * i, 70});
    }
    assertArrayEquals(new double[] {590, 390}, LinePlot.legendCorner(plot, 100, 50, top));
    // The whole plot, drawn: written for people to look at.
    double[] x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    Files.createDirectories(Path.of("target", "test-plots"));
    LinePlot.builder().title("rising").series("a", x, x).build().write(Path.of("target", "test-plots", "legend.png"));
  }

  @Test
  void linearTicksAreNice() {
    LinePlot.Axis a = LinePlot.Axis.linearAxis(0.13, 0.87);
    assertEquals(List.of(0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0), a.major);
    assertEquals("0.6", a.format(a.major.get(3)));
    assertEquals("0", a.format(0.0));
    LinePlot.Axis b = LinePlot.Axis.linearAxis(0, 19950);
    assertEquals(List.of(0.0, 5000.0, 10000.0, 15000.0, 20000.0), b.major);
    assertEquals("20000", b.format(20000));
    LinePlot.Axis c = LinePlot.Axis.linearAxis(0, 3e6);
    assertEquals("1.5e6", c.format(1.5e6));
    assertEquals("2e6", c.format(2e6));
  }

  @Test
  void logTicksAreDecades() {
    LinePlot.Axis a = LinePlot.Axis.logAxis(0.003, 2.5);
    assertEquals(5, a.major.size());
    assertEquals(List.of("0.001", "0.01", "0.1", "1", "10"), a.major.stream().map(a::format).toList());
    assertEquals(4 * 8, a.minor.size());
    LinePlot.Axis b = LinePlot.Axis.logAxis(1e-8, 1e3);
    assertEquals(List.of("1e-8", "1e-6", "1e-4", "1e-2", "1e0", "1e2"), b.major.stream().map(b::format).toList());
    assertTrue(b.minor.isEmpty());
    LinePlot.Axis c = LinePlot.Axis.logAxis(1024, 131072);
    assertEquals(List.of("1e3", "1e4", "1e5", "1e6"), c.major.stream().map(c::format).toList(), "one style per axis");
  }

  private static int count(BufferedImage img, int rgb) {
    int n = 0;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        if ((img.getRGB(x, y) & 0xffffff) == rgb) {
          n++;
        }
      }
    }
    return n;
  }
}
