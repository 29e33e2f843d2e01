package org.mmmamba.core.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;

class PixelShuffleTest {

  @BeforeAll
  static void offline() {
    Offline.init();
  }

  @Test
  void orderIsExactlyTheDocumentedOne() {
    int t = 2;
    int h = 4;
    int w = 6;
    int d = 3;
    float[] x = new float[t * h * w * d];
    for (int tile = 0; tile < t; tile++) {
      for (int r = 0; r < h; r++) {
        for (int c = 0; c < w; c++) {
          int base = ((tile * h + r) * w + c) * d;
          x[base] = tile;
          x[base + 1] = r;
          x[base + 2] = c;
        }
      }
    }
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray out = PixelShuffle.apply(m.create(x, new Shape(t, h, w, d)));
      assertArrayEquals(new long[] {t, (h / 2) * (w / 2), 4 * d}, out.getShape().getShape());
      float[] o = out.toFloatArray();
      for (int tile = 0; tile < t; tile++) {
        for (int i = 0; i < h / 2; i++) {
          for (int j = 0; j < w / 2; j++) {
            int base = ((tile * (h / 2) + i) * (w / 2) + j) * 4 * d;
            float[] tok = java.util.Arrays.copyOfRange(o, base, base + 4 * d);
            float[] expect = {
              tile, 2 * i, 2 * j, tile, 2 * i, 2 * j + 1, tile, 2 * i + 1, 2 * j, tile, 2 * i + 1,
              2 * j + 1
            };
            assertArrayEquals(expect, tok, "tile " + tile + " token (" + i + "," + j + ")");
          }
        }
      }
      assertArrayEquals(PixelShuffle.reference(x, t, h, w, d), o);
    }
  }

  @Test
  void ndArrayVersionEqualsSlowTwin() {
    SplittableRandom rnd = new SplittableRandom(7);
    int[][] shapes = {{1, 2, 2, 1}, {3, 8, 4, 5}, {2, 32, 32, 8}};
    try (NDManager m = NDManager.newBaseManager()) {
      for (int[] s : shapes) {
        float[] x = new float[s[0] * s[1] * s[2] * s[3]];
        for (int i = 0; i < x.length; i++) {
          x[i] = (float) rnd.nextDouble(-1, 1);
        }
        NDArray out = PixelShuffle.apply(m.create(x, new Shape(s[0], s[1], s[2], s[3])));
        assertArrayEquals(PixelShuffle.reference(x, s[0], s[1], s[2], s[3]), out.toFloatArray());
      }
    }
  }
}
