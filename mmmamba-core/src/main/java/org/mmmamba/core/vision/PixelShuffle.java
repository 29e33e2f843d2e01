package org.mmmamba.core.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * The 0.5 pixel shuffle of InternVL/HoVLE ({@code pixel_shuffle}, {@code ps_version="v2"}): every 2
 * x 2 block of patch features becomes one token with 4x the width (docs/method.md §6).
 *
 * <p>Shapes: T tiles, an h x w patch grid (h, w even), D features. Input (T, h, w, D); output (T,
 * (h/2)(w/2), 4D). Output token {@code (i, j)}, at index {@code i * (w/2) + j}, is the
 * concatenation {@code [p(2i,2j), p(2i,2j+1), p(2i+1,2j), p(2i+1,2j+1)]}.
 */
public final class PixelShuffle {
  private PixelShuffle() {}

  /**
   * Applies the shuffle with reshape/transpose only.
   *
   * @param x patch features (T, h, w, D)
   * @return tokens (T, h/2 * w/2, 4D)
   */
  public static NDArray apply(NDArray x) {
    Shape s = x.getShape();
    if (s.dimension() != 4) {
      throw new IllegalArgumentException("pixel shuffle wants (T, h, w, D), got " + s);
    }
    long t = s.get(0);
    long h = s.get(1);
    long w = s.get(2);
    long d = s.get(3);
    if (h % 2 != 0 || w % 2 != 0) {
      throw new IllegalArgumentException("pixel shuffle needs an even grid, got " + h + "x" + w);
    }
    // (T, h/2, di, w/2, dj, D) -> (T, h/2, w/2, di, dj, D) -> (T, h/2*w/2, 4D)
    return x.reshape(t, h / 2, 2, w / 2, 2, d)
        .transpose(0, 1, 3, 2, 4, 5)
        .reshape(t, (h / 2) * (w / 2), 4 * d);
  }

  /**
   * The slow, obviously correct twin of {@link #apply} on a flat row-major array.
   *
   * @param x features, layout (T, h, w, D)
   * @param t tiles
   * @param h grid rows (even)
   * @param w grid columns (even)
   * @param d feature width
   * @return tokens, layout (T, h/2 * w/2, 4D)
   */
  public static float[] reference(float[] x, int t, int h, int w, int d) {
    if (h % 2 != 0 || w % 2 != 0 || x.length != t * h * w * d) {
      throw new IllegalArgumentException("bad shape for pixel shuffle reference");
    }
    float[] out = new float[x.length];
    int o = 0;
    for (int tile = 0; tile < t; tile++) {
      for (int i = 0; i < h / 2; i++) {
        for (int j = 0; j < w / 2; j++) {
          int[][] src = {
            {2 * i, 2 * j}, {2 * i, 2 * j + 1}, {2 * i + 1, 2 * j}, {2 * i + 1, 2 * j + 1}
          };
          for (int[] rc : src) {
            int base = ((tile * h + rc[0]) * w + rc[1]) * d;
            System.arraycopy(x, base, out, o, d);
            o += d;
          }
        }
      }
    }
    return out;
  }
}
