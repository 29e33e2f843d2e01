package org.mmmamba.core.vision;

/**
 * Bicubic resampling that matches Pillow's {@code Image.resize(size, Image.BICUBIC)}, which is what
 * InternVL/HoVLE's {@code dynamic_preprocess} (Pillow's default filter) and {@code T.Resize(...,
 * BICUBIC)} on PIL images use.
 *
 * <p>Reference: Pillow {@code src/libImaging/Resample.c} ({@code precompute_coeffs}, {@code
 * bicubic_filter}). Exactly as there:
 *
 * <ul>
 *   <li>Keys cubic kernel with {@code a = -0.5}, support 2.
 *   <li>Separable: a horizontal pass, then a vertical pass.
 *   <li>For output index {@code i}, {@code scale = in/out}, {@code center = (i + 0.5) * scale}.
 *   <li>Antialiasing: when downscaling ({@code scale > 1}) the kernel is stretched by {@code scale}
 *       (support {@code 2 * scale}, argument divided by {@code scale}); when upscaling it is not.
 *   <li>Taps run over input pixels {@code xmin <= x < xmax} with {@code xmin = max(0, (int)(center
 *       - support + 0.5))} and {@code xmax = min(in, (int)(center + support + 0.5))}; tap {@code x}
 *       has weight {@code k((x - center + 0.5) / filterscale)}; the weights are divided by their
 *       sum. So near the border the window is cut and renormalised (no edge replication).
 * </ul>
 *
 * <p>Pillow runs this on 8-bit images with fixed-point weights (22 fractional bits), rounds each
 * pass to 8 bits and clamps to [0, 255]. We work in float and clamp each pass to [0, 1] but do not
 * quantise, so results differ from Pillow's by at most about one 8-bit level. It is <b>not</b>
 * torchvision's tensor bicubic without antialias ({@code a = -0.75}, edge replication).
 */
public final class Bicubic {
  private static final double A = -0.5;
  private static final double SUPPORT = 2.0;

  private Bicubic() {}

  /**
   * The Keys cubic convolution kernel with {@code a = -0.5}, as in Pillow's {@code bicubic_filter}.
   *
   * @param x distance in (possibly stretched) source pixels
   * @return the weight
   */
  public static double kernel(double x) {
    x = Math.abs(x);
    if (x < 1.0) {
      return ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0;
    }
    if (x < 2.0) {
      return (((x - 5.0) * x + 8.0) * x - 4.0) * A;
    }
    return 0.0;
  }

  /**
   * Resizes an image.
   *
   * @param src the source image
   * @param width target width, at least 1
   * @param height target height, at least 1
   * @return the resized image; the source itself when the size is unchanged
   */
  public static RgbImage resize(RgbImage src, int width, int height) {
    if (width < 1 || height < 1) {
      throw new IllegalArgumentException("target size must be positive: " + width + "x" + height);
    }
    if (width == src.width() && height == src.height()) {
      return src;
    }
    RgbImage tmp = src;
    if (width != src.width()) {
      tmp = horizontal(src, width);
    }
    if (height != src.height()) {
      tmp = vertical(tmp, height);
    }
    return tmp;
  }

  /** Per-output taps: start index, count, and normalised weights. */
  private record Taps(int[] start, int[] count, double[][] weights) {}

  private static Taps taps(int in, int out) {
    double scale = (double) in / out;
    double filterscale = Math.max(scale, 1.0);
    double support = SUPPORT * filterscale;
    int[] start = new int[out];
    int[] count = new int[out];
    double[][] weights = new double[out][];
    for (int i = 0; i < out; i++) {
      double center = (i + 0.5) * scale;
      int xmin = Math.max(0, (int) (center - support + 0.5));
      int xmax = Math.min(in, (int) (center + support + 0.5));
      double[] w = new double[Math.max(0, xmax - xmin)];
      double sum = 0;
      for (int x = xmin; x < xmax; x++) {
        double k = kernel((x - center + 0.5) / filterscale);
        w[x - xmin] = k;
        sum += k;
      }
      if (sum != 0) {
        for (int t = 0; t < w.length; t++) {
          w[t] /= sum;
        }
      }
      start[i] = xmin;
      count[i] = w.length;
      weights[i] = w;
    }
    return new Taps(start, count, weights);
  }

  private static RgbImage horizontal(RgbImage src, int outW) {
    int inW = src.width();
    int h = src.height();
    Taps t = taps(inW, outW);
    float[] s = src.data();
    float[] d = new float[3 * h * outW];
    for (int row = 0; row < 3 * h; row++) {
      int si = row * inW;
      int di = row * outW;
      for (int x = 0; x < outW; x++) {
        double acc = 0;
        double[] w = t.weights[x];
        int x0 = t.start[x];
        for (int k = 0; k < t.count[x]; k++) {
          acc += w[k] * s[si + x0 + k];
        }
        d[di + x] = clamp(acc);
      }
    }
    return new RgbImage(outW, h, d);
  }

  private static RgbImage vertical(RgbImage src, int outH) {
    int w = src.width();
    int inH = src.height();
    Taps t = taps(inH, outH);
    float[] s = src.data();
    float[] d = new float[3 * outH * w];
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < outH; y++) {
        double[] wt = t.weights[y];
        int y0 = t.start[y];
        int di = (c * outH + y) * w;
        for (int x = 0; x < w; x++) {
          double acc = 0;
          for (int k = 0; k < t.count[y]; k++) {
            acc += wt[k] * s[(c * inH + y0 + k) * w + x];
          }
          d[di + x] = clamp(acc);
        }
      }
    }
    return new RgbImage(w, outH, d);
  }

  private static float clamp(double v) {
    return (float) Math.max(0.0, Math.min(1.0, v));
  }
}
