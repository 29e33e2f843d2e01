package org.mmmamba.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Fixtures;
import org.mmmamba.core.Offline;
import org.mmmamba.core.VlmFixtures;
import org.mmmamba.core.config.ParamNames;

/** The pieces of the image-token maker against hand-worked cases and slow twins. */
class VisionEmbeddingTest {
  static {
    Offline.init();
  }

  /**
   * Each patch vector encodes its own (row, col) (plus 100 * tile): token (i, j) must be [p(2i,2j),
   * p(2i,2j+1), p(2i+1,2j), p(2i+1,2j+1)] (docs/method.md §6).
   */
  @Test
  void pixelShuffleOrderHandCase() {
    int g = 4;
    try (NDManager m = NDManager.newBaseManager()) {
      double[] x = new double[2 * g * g * 2];
      for (int t = 0; t < 2; t++) {
        for (int r = 0; r < g; r++) {
          for (int c = 0; c < g; c++) {
            x[((t * g + r) * g + c) * 2] = 100 * t + r;
            x[((t * g + r) * g + c) * 2 + 1] = 100 * t + c;
          }
        }
      }
      NDArray out = VisionEmbedding.pixelShuffle(m.create(x, new Shape(2, g * g, 2)), g);
      assertEquals(new Shape(2, 4, 8), out.getShape());
      double[] got = out.toDoubleArray();
      double[] want = {
        // tile 0: tokens (0,0), (0,1), (1,0), (1,1)
        0, 0, 0, 1, 1, 0, 1, 1,
        0, 2, 0, 3, 1, 2, 1, 3,
        2, 0, 2, 1, 3, 0, 3, 1,
        2, 2, 2, 3, 3, 2, 3, 3,
        // tile 1: the same, offset by 100
        100, 100, 100, 101, 101, 100, 101, 101,
        100, 102, 100, 103, 101, 102, 101, 103,
        102, 100, 102, 101, 103, 100, 103, 101,
        102, 102, 102, 103, 103, 102, 103, 103
      };
      assertArrayEquals(want, got, 0.0);
    }
  }

  /** unfold + matmul equals the convolution written as loops over patches. */
  @Test
  void patchEmbedEqualsSlowConvolution() {
    try (NDManager m = NDManager.newBaseManager();
        VisionLanguageModel vlm =
            RandomWeights.vlm(VlmFixtures.teacher(), m, DataType.FLOAT64, 3, 0.5)) {
      int p = 4;
      int d = 16;
      for (int side : new int[] {16, 24}) {
        NDArray px = VlmFixtures.pixels(m, 2, side, 7, DataType.FLOAT64);
        double[] fast = vlm.vision().patchEmbed(px).toDoubleArray();
        double[] slow =
            VisionEmbedding.patchEmbedReference(
                px.toDoubleArray(),
                2,
                3,
                side,
                vlm.visionWeights().get(ParamNames.VISION_PATCH_W).toDoubleArray(),
                vlm.visionWeights().get(ParamNames.VISION_PATCH_B).toDoubleArray(),
                d,
                p);
        double err = Fixtures.relError(fast, slow);
        assertTrue(
            err < 1e-13, "side " + side + ": fast vs slow patch embedding, relative error " + err);
      }
    }
  }

  /** torch F.interpolate(bicubic, align_corners=False) of [[1,2],[3,4]] to 4x4, worked by hand. */
  @Test
  void bicubic2x2To4x4HandCase() {
    // 1-D resampling of [0, 1] to 4 samples: sources -0.25, 0.25, 0.75, 1.25, Keys kernel a =
    // -0.75, border
    // clamp; e.g. the first: weights W(1.75), W(0.75), W(0.25), W(1.25) = -0.03515625, 0.26171875,
    // 0.87890625,
    // -0.10546875 on values 0, 0, 0, 1 -> -0.10546875.
    double[] ramp = {-0.10546875, 0.2265625, 0.7734375, 1.10546875};
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray grid = m.create(new double[] {1, 2, 3, 4}, new Shape(4, 1));
      double[] got = TorchBicubic.resize2d(m, grid, 2, 4).toDoubleArray();
      double[] want = new double[16];
      for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
          // the input is 1 + col + 2 row, and bicubic weights sum to 1, so the output is 1 + r(j) +
          // 2 r(i)
          want[i * 4 + j] = 1 + ramp[j] + 2 * ramp[i];
        }
      }
      assertArrayEquals(want, got, 1e-15);
      assertEquals(0.68359375, got[0], 1e-15);
    }
  }

  /**
   * Resampling to other sizes (up, down, non-integer ratios) against a direct Keys-kernel
   * evaluation.
   */
  @Test
  void bicubicMatchesDirectKernel() {
    int[][] cases = {{4, 6}, {4, 2}, {3, 7}, {5, 5}, {6, 4}};
    for (int[] c : cases) {
      double[][] got = TorchBicubic.matrix(c[0], c[1]);
      for (int o = 0; o < c[1]; o++) {
        double src = (o + 0.5) * c[0] / c[1] - 0.5;
        double[] want = new double[c[0]];
        int base = (int) Math.floor(src);
        for (int k = base - 1; k <= base + 2; k++) {
          want[Math.min(Math.max(k, 0), c[0] - 1)] += keys(src - k);
        }
        assertArrayEquals(want, got[o], 1e-13, c[0] + "->" + c[1] + " row " + o);
      }
    }
    double[][] id = TorchBicubic.matrix(5, 5);
    for (int i = 0; i < 5; i++) {
      for (int j = 0; j < 5; j++) {
        assertEquals(i == j ? 1.0 : 0.0, id[i][j], 0.0);
      }
    }
  }

  /** Keys' cubic convolution kernel, a = -0.75, in its |x| form. */
  private static double keys(double x) {
    double a = -0.75;
    double t = Math.abs(x);
    if (t <= 1) {
      return (a + 2) * t * t * t - (a + 3) * t * t + 1;
    }
    if (t < 2) {
      return a * t * t * t - 5 * a * t * t + 8 * a * t - 4 * a;
    }
    return 0;
  }

  @Test
  void positionsAreStoredTableOrResized() {
    try (NDManager m = NDManager.newBaseManager();
        VisionLanguageModel vlm =
            RandomWeights.vlm(VlmFixtures.teacher(), m, DataType.FLOAT64, 3, 0.5)) {
      NDArray pos = vlm.visionWeights().get(ParamNames.VISION_POS);
      NDArray like = m.zeros(new Shape(1));
      double[] all = pos.toDoubleArray();
      double[] rest =
          java.util.Arrays.copyOfRange(all, 16, all.length); // drop the class slot (D = 16)
      assertArrayEquals(rest, vlm.vision().positions(like, 4).toDoubleArray(), 0.0);
      // a 24x24 tile has a 6x6 grid: the 4x4 table resized separably, rows then columns
      double[] got = vlm.vision().positions(like, 6).toDoubleArray();
      double[][] mat = TorchBicubic.matrix(4, 6);
      for (int i = 0; i < 6; i++) {
        for (int j = 0; j < 6; j++) {
          for (int d = 0; d < 16; d++) {
            double want = 0;
            for (int a = 0; a < 4; a++) {
              for (int b = 0; b < 4; b++) {
                want += mat[i][a] * mat[j][b] * rest[(a * 4 + b) * 16 + d];
              }
            }
            assertEquals(want, got[(i * 6 + j) * 16 + d], 1e-14);
          }
        }
      }
    }
  }

  /** nn.GELU() is x * Phi(x) (erf form); the tanh approximation differs by ~1.5e-4 at x = 1. */
  @Test
  void geluIsExactErfForm() {
    try (NDManager m = NDManager.newBaseManager()) {
      double[] got = VisionEmbedding.gelu(m.create(new double[] {1.0, -0.5, 2.0})).toDoubleArray();
      // Phi(1) = 0.8413447460685429, Phi(-0.5) = 0.3085375387259869, Phi(2) = 0.9772498680518208
      assertArrayEquals(
          new double[] {0.8413447460685429, -0.5 * 0.3085375387259869, 2 * 0.9772498680518208},
          got,
          1e-15);
    }
  }

  @Test
  void embedShapesAndPixelChecks() {
    try (NDManager m = NDManager.newBaseManager();
        VisionLanguageModel vlm =
            RandomWeights.vlm(VlmFixtures.teacher(), m, DataType.FLOAT32, 3, 0.5)) {
      VisionEmbedding v = vlm.vision();
      assertEquals(
          new Shape(3, 4, 16),
          v.embed(VlmFixtures.pixels(m, 3, 16, 1, DataType.FLOAT32)).getShape());
      assertEquals(
          new Shape(1, 9, 16),
          v.embed(VlmFixtures.pixels(m, 1, 24, 1, DataType.FLOAT64)).getShape());
      for (Shape bad :
          new Shape[] {
            new Shape(1, 3, 12, 12),
            new Shape(1, 4, 16, 16),
            new Shape(1, 3, 16, 24),
            new Shape(3, 16, 16)
          }) {
        BadInputException e = assertThrows(BadInputException.class, () -> v.embed(m.zeros(bad)));
        assertTrue(e.getMessage().startsWith("pixels: expected (T, 3, S, S)"), e.getMessage());
      }
    }
  }
}
