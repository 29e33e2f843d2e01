package org.mmmamba.core.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class BicubicTest {

  @Test
  void kernelValuesWorkedByHand() {
    // a = -0.5: k(0)=1, k(0.25)=111/128, k(0.75)=29/128, k(1)=0, k(1.25)=-9/128, k(2)=0
    assertEquals(1.0, Bicubic.kernel(0), 0);
    assertEquals(111.0 / 128, Bicubic.kernel(0.25), 1e-15);
    assertEquals(29.0 / 128, Bicubic.kernel(-0.75), 1e-15);
    assertEquals(0.0, Bicubic.kernel(1.0), 1e-15);
    assertEquals(-9.0 / 128, Bicubic.kernel(1.25), 1e-15);
    assertEquals(0.0, Bicubic.kernel(2.0), 0);
    assertEquals(0.0, Bicubic.kernel(-3.5), 0);
  }

  @Test
  void constantImageStaysConstant() {
    RgbImage img = RgbImage.filled(13, 7, 0.25f, 0.5f, 0.75f);
    for (int[] size : new int[][] {{26, 14}, {5, 3}, {40, 2}, {1, 1}, {13, 20}}) {
      RgbImage out = Bicubic.resize(img, size[0], size[1]);
      assertEquals(size[0], out.width());
      assertEquals(size[1], out.height());
      for (int y = 0; y < out.height(); y++) {
        for (int x = 0; x < out.width(); x++) {
          assertEquals(0.25f, out.get(0, y, x), 1e-6);
          assertEquals(0.5f, out.get(1, y, x), 1e-6);
          assertEquals(0.75f, out.get(2, y, x), 1e-6);
        }
      }
    }
  }

  @Test
  void sameSizeReturnsTheSource() {
    RgbImage img = RgbImage.filled(4, 4, 0, 0, 0);
    assertSame(img, Bicubic.resize(img, 4, 4));
  }

  /** Value of pixel x of the ramp is a*x + b; output i sits at source position (i+0.5)*scale - 0.5. */
  private static RgbImage ramp(int w, int h, double a, double b) {
    float[] d = new float[3 * w * h];
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          d[(c * h + y) * w + x] = (float) (a * x + b);
        }
      }
    }
    return new RgbImage(w, h, d);
  }

  @Test
  void linearRampStaysLinearInTheInteriorWhenUpscaling() {
    int in = 10;
    int out = 25;
    RgbImage r = Bicubic.resize(ramp(in, 3, 0.05, 0.2), out, 3);
    double scale = (double) in / out;
    for (int i = 0; i < out; i++) {
      double src = (i + 0.5) * scale - 0.5;
      if (src < 2 || src > in - 3) {
        continue; // the border window is cut and renormalised: not linear there
      }
      assertEquals(0.05 * src + 0.2, r.get(1, 1, i), 1e-6, "pixel " + i);
    }
  }

  @Test
  void linearRampStaysLinearInTheInteriorWhenDownscaling() {
    int in = 40;
    int out = 10; // scale 4: antialiased kernel with support 8
    RgbImage r = Bicubic.resize(ramp(in, 2, 0.02, 0.1), out, 2);
    for (int i = 2; i < out - 2; i++) {
      double src = (i + 0.5) * 4 - 0.5;
      assertEquals(0.02 * src + 0.1, r.get(0, 0, i), 1e-6, "pixel " + i);
    }
  }

  @Test
  void twoByTwoToFourByFourWorkedByHand() {
    // Upscale 2 -> 4, scale 0.5, support 2, window cut at the borders and renormalised:
    // out 0: center 0.25, taps x=0,1 weights k(0.25), k(1.25) = 111/128, -9/128 -> / (102/128)
    // out 1: center 0.75, taps x=0,1 weights k(-0.25), k(0.75) = 111/128, 29/128 -> / (140/128)
    // out 2 and 3 mirror out 1 and 0.
    double[][] w = {
      {111.0 / 102, -9.0 / 102},
      {111.0 / 140, 29.0 / 140},
      {29.0 / 140, 111.0 / 140},
      {-9.0 / 102, 111.0 / 102}
    };
    double[][] src = {{0.2, 0.6}, {0.4, 0.8}}; // [row][col]
    float[] d = new float[12];
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < 2; y++) {
        for (int x = 0; x < 2; x++) {
          d[(c * 2 + y) * 2 + x] = (float) src[y][x];
        }
      }
    }
    RgbImage out = Bicubic.resize(new RgbImage(2, 2, d), 4, 4);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 4; x++) {
        double expect = 0;
        for (int j = 0; j < 2; j++) {
          for (int i = 0; i < 2; i++) {
            expect += w[y][j] * w[x][i] * src[j][i];
          }
        }
        for (int c = 0; c < 3; c++) {
          assertEquals(expect, out.get(c, y, x), 1e-6, "(" + x + "," + y + ")");
        }
      }
    }
    // one value spelled out: top-left = 0.2*(111/102)^2 - 0.6*(111*9/102^2) - 0.4*(9*111/102^2) + 0.8*(81/102^2)
    assertEquals(0.14705882, out.get(0, 0, 0), 1e-6);
  }

  @Test
  void overshootIsClampedToTheUnitRange() {
    float[] d = new float[3 * 4];
    for (int c = 0; c < 3; c++) {
      d[c * 4 + 1] = 1f; // 0,1,0,0 row
    }
    RgbImage out = Bicubic.resize(new RgbImage(4, 1, d), 16, 1);
    for (int x = 0; x < 16; x++) {
      float v = out.get(0, 0, x);
      assertEquals(true, v >= 0f && v <= 1f, "value " + v);
    }
  }
}
