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

  /**
   * Value of pixel x of the ramp is a*x + b; output i sits at source position (i+0.5)*scale - 0.5.
   */
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
    // one value spelled out: top-left = 0.2*(111/102)^2 - 0.6*(111*9/102^2) - 0.4*(9*111/102^2) +
    // 0.8*(81/102^2)
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

  /**
   * Golden values from Pillow 9.4.0: {@code Image.new("F", (w, h))} filled with {@code 0.5 + 0.25
   * sin(1.3x + 0.7y) + 0.1 cos(0.9y)}, then {@code .resize((W, H), Image.BICUBIC)}. Smooth inputs
   * in [0.15, 0.85], so our [0, 1] clamp never acts.
   */
  @Test
  void matchesPillowOnFloatImages() {
    assertPillow(
        5,
        3,
        7,
        2,
        new float[] {
          0.6321443f, 0.7592888f, 0.8129804f, 0.6661550f, 0.4506442f, 0.3790310f,
          0.4080032f, 0.7327780f, 0.7061549f, 0.5802119f, 0.3619137f, 0.2733670f,
          0.3841332f, 0.5429639f
        });
    assertPillow(
        9,
        6,
        4,
        4,
        new float[] {
          0.7443278f, 0.4883537f, 0.6671332f, 0.5646218f, 0.6291493f, 0.3656568f,
          0.6409157f, 0.3524639f, 0.3791835f, 0.3747290f, 0.4728951f, 0.2805086f,
          0.3060595f, 0.5513819f, 0.3874472f, 0.4708437f
        });
    assertPillow(
        4,
        4,
        11,
        6,
        new float[] {
          0.5660152f, 0.5983547f, 0.6877798f, 0.8017231f, 0.8500445f, 0.8283069f,
          0.7695949f, 0.6756932f, 0.5417508f, 0.4432172f, 0.4041145f, 0.6404428f,
          0.6624420f, 0.7281284f, 0.8075771f, 0.8224964f, 0.7646981f, 0.6778347f,
          0.5809545f, 0.4655442f, 0.3834792f, 0.3493188f, 0.7281490f, 0.7326378f,
          0.7564092f, 0.7767595f, 0.7414610f, 0.6378006f, 0.5198520f, 0.4295939f,
          0.3541534f, 0.3052915f, 0.2821728f, 0.7418441f, 0.7282538f, 0.7053201f,
          0.6632839f, 0.5888153f, 0.4681810f, 0.3512790f, 0.2911671f, 0.2741537f,
          0.2701936f, 0.2638150f, 0.6948106f, 0.6661923f, 0.6011151f, 0.5058953f,
          0.4111470f, 0.3058256f, 0.2218924f, 0.2094149f, 0.2575876f, 0.3012374f,
          0.3139457f, 0.6485560f, 0.6118208f, 0.5228003f, 0.3983835f, 0.2970478f,
          0.2104582f, 0.1557448f, 0.1770226f, 0.2663126f, 0.3393348f, 0.3641912f
        });
    assertPillow(
        30,
        20,
        7,
        13,
        new float[] {
          0.6231509f, 0.5895068f, 0.5919881f, 0.5913804f, 0.5905975f, 0.5929042f,
          0.5603756f, 0.5085605f, 0.4956353f, 0.4967674f, 0.4969127f, 0.4963225f,
          0.4967223f, 0.4884762f, 0.3829086f, 0.4053126f, 0.4038424f, 0.4046324f,
          0.4048593f, 0.4028282f, 0.4288155f, 0.4382006f, 0.4715889f, 0.4691167f,
          0.4696989f, 0.4704918f, 0.4682294f, 0.5002768f, 0.5758622f, 0.5856041f,
          0.5846915f, 0.5844564f, 0.5849972f, 0.5848572f, 0.5896623f, 0.5827540f,
          0.5587077f, 0.5603118f, 0.5595190f, 0.5592333f, 0.5613425f, 0.5340690f,
          0.4690971f, 0.4358487f, 0.4383308f, 0.4377939f, 0.4369715f, 0.4391694f,
          0.4077373f, 0.4242885f, 0.4176085f, 0.4182982f, 0.4185949f, 0.4181205f,
          0.4180425f, 0.4162682f, 0.5056528f, 0.5322410f, 0.5304415f, 0.5312632f,
          0.5316210f, 0.5293594f, 0.5588999f, 0.5639768f, 0.5955179f, 0.5931430f,
          0.5936093f, 0.5944223f, 0.5923926f, 0.6217278f, 0.5010743f, 0.5050935f,
          0.5045912f, 0.5042278f, 0.5046545f, 0.5049388f, 0.5039314f, 0.4345301f,
          0.4064093f, 0.4083415f, 0.4075334f, 0.4071083f, 0.4094219f, 0.3788641f,
          0.4855555f, 0.4546739f, 0.4570097f, 0.4565754f, 0.4557624f, 0.4577211f,
          0.4292487f
        });
  }

  private static void assertPillow(int w, int h, int outW, int outH, float[] expected) {
    float[] d = new float[3 * w * h];
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          d[(c * h + y) * w + x] =
              (float) (0.5 + 0.25 * Math.sin(1.3 * x + 0.7 * y) + 0.1 * Math.cos(0.9 * y));
        }
      }
    }
    RgbImage out = Bicubic.resize(new RgbImage(w, h, d), outW, outH);
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < outH; y++) {
        for (int x = 0; x < outW; x++) {
          assertEquals(
              expected[y * outW + x],
              out.get(c, y, x),
              2e-6,
              w + "x" + h + " -> " + outW + "x" + outH + " at (" + x + "," + y + ")");
        }
      }
    }
  }
}
