package org.mmmamba.app.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
    double[] attn = {
      3.1, 9.8, 18.0, 35.5, 70.2, 141.0, 142.65, Double.NaN
    }; // NaN: OOM, line breaks
    double[] mamba = {6.9, 6.9, 6.9, 6.9, 6.9, 6.9, 6.94, 6.95};
    LinePlot p =
        LinePlot.builder()
            .title("Decode latency")
            .xLabel("context length (tokens)")
            .yLabel("latency per token (ms)")
            .logX(true)
            .logY(true)
            .series("attention", tokens, attn)
            .series("mamba-2", tokens, mamba)
            .series("bad", new double[] {-1, 0}, new double[] {1, 2})
            .build();
    Path out = Path.of("target", "test-plots");
    Files.createDirectories(out);
    p.write(out.resolve("latency-loglog.png"));
    BufferedImage empty = LinePlot.builder().title("nothing").build().render();
    assertEquals(800, empty.getWidth());
    assertThrows(
        IllegalArgumentException.class,
        () -> LinePlot.builder().series("s", new double[2], new double[3]));
    assertThrows(IllegalArgumentException.class, () -> LinePlot.builder().size(10, 10));
    // a constant series still gets a usable axis
    LinePlot.builder().series("flat", new double[] {1, 2}, new double[] {3, 3}).build().render();
  }

  @Test
  void aMachineWithoutFontsSkipsThePlotAndTheRunGoesOn(@org.junit.jupiter.api.io.TempDir Path tmp) {
    // What the JDK throws on a machine without fonts, from its font manager on the first text call.
    Path png = tmp.resolve("loss.png");
    assertFalse(
        LinePlot.writeIfPossible(
            png,
            () -> {
              throw new InternalError(
                  "java.lang.reflect.InvocationTargetException at sun.font.SunFontManager");
            }));
    assertFalse(
        LinePlot.writeIfPossible(
            png,
            () -> {
              throw new Error("Probable fatal error: No fonts found.");
            }));
    assertFalse(
        LinePlot.writeIfPossible(
            png,
            () -> {
              throw new NullPointerException(
                  "Cannot load from short array because \"sun.awt.FontConfiguration.head\" is null");
            }));
    assertFalse(Files.exists(png), "nothing written");
    // Real failures are not hidden: an I/O error or running out of memory still surfaces.
    assertThrows(
        java.io.UncheckedIOException.class,
        () ->
            LinePlot.writeIfPossible(
                png,
                () -> {
                  throw new java.io.UncheckedIOException(new IOException("disk full"));
                }));
    assertThrows(
        OutOfMemoryError.class,
        () ->
            LinePlot.writeIfPossible(
                png,
                () -> {
                  throw new OutOfMemoryError();
                }));
    // Where fonts exist, the same call writes the picture.
    assertTrue(lossCurves(true).writeIfPossible(png));
    assertTrue(Files.exists(png));
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
