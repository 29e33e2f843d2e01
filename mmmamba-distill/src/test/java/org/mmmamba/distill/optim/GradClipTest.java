package org.mmmamba.distill.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;

/** Hand values: gradients (3, 4) and (12) have global norm √(9 + 16 + 144) = 13. */
class GradClipTest {
  static {
    Offline.init();
  }

  @Test
  void clipsToTheBound() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = m.create(new double[] {3, 4});
      NDArray b = m.create(new double[] {12});
      double total = GradClip.clipGlobalNorm(List.of(a, b), 1.0);
      assertEquals(13.0, total, 1e-12);
      double c = 1.0 / (13.0 + 1e-6);
      assertArrayEquals(new double[] {3 * c, 4 * c}, a.toDoubleArray(), 1e-15);
      assertArrayEquals(new double[] {12 * c}, b.toDoubleArray(), 1e-15);
      assertEquals(1.0, GradClip.globalNorm(List.of(a, b)), 1e-6);
    }
  }

  @Test
  void leavesSmallGradientsAlone() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = m.create(new float[] {3, 4});
      NDArray b = m.create(new float[][] {{12}});
      assertEquals(13.0, GradClip.clipGlobalNorm(List.of(a, b), 13.5), 1e-5);
      assertArrayEquals(new float[] {3, 4}, a.toFloatArray(), 0f);
      assertArrayEquals(new float[] {12}, b.toFloatArray(), 0f);
      // exactly at the bound: coef = 13 / (13 + 1e-6) < 1, so torch scales by that (tiny) amount
      assertEquals(13.0, GradClip.clipGlobalNorm(List.of(a, b), 13.0), 1e-5);
      assertTrue(a.toFloatArray()[0] <= 3f);
    }
  }

  @Test
  void nonFiniteNormIsReportedAndNothingScaled() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = m.create(new float[] {3, Float.NaN});
      NDArray b = m.create(new float[] {100});
      assertTrue(Double.isNaN(GradClip.clipGlobalNorm(List.of(a, b), 1.0)));
      assertArrayEquals(new float[] {100}, b.toFloatArray(), 0f);
      NDArray c = m.create(new float[] {Float.POSITIVE_INFINITY});
      assertEquals(Double.POSITIVE_INFINITY, GradClip.globalNorm(List.of(b, c)));
      assertEquals(NonFinite.GRAD_NORM, NonFinite.check(1.0, Double.NaN));
      assertEquals(NonFinite.LOSS, NonFinite.check(Double.POSITIVE_INFINITY, 1.0));
      assertEquals(NonFinite.LOSS, NonFinite.check(Double.NaN, Double.NaN));
      assertEquals(NonFinite.NONE, NonFinite.check(0.5, 2.0));
    }
  }

  @Test
  void rejectsBadBound() {
    try (NDManager m = NDManager.newBaseManager()) {
      List<NDArray> g = List.of(m.create(new float[] {1}));
      assertThrows(IllegalArgumentException.class, () -> GradClip.clipGlobalNorm(g, 0));
      assertThrows(IllegalArgumentException.class, () -> GradClip.clipGlobalNorm(List.of(), 1));
    }
  }

  /** The flat form against the per-gradient form: the same norm, the same clipped values. */
  @Test
  void flatClipEqualsThePerGradientClip() {
    try (NDManager m = NDManager.newBaseManager()) {
      for (double bound : new double[] {1.0, 13.5, Double.POSITIVE_INFINITY}) {
        NDArray a = m.create(new double[] {3, 4});
        NDArray b = m.create(new double[][] {{12}});
        NDArray flat = a.reshape(-1).concat(b.reshape(-1));
        double perGradient =
            bound == Double.POSITIVE_INFINITY
                ? GradClip.globalNorm(List.of(a, b))
                : GradClip.clipGlobalNorm(List.of(a, b), bound);
        double flatNorm = GradClip.clipFlat(flat, bound);
        assertEquals(perGradient, flatNorm, 1e-12, "bound " + bound);
        assertArrayEquals(
            a.reshape(-1).concat(b.reshape(-1)).toDoubleArray(),
            flat.toDoubleArray(),
            1e-15,
            "bound " + bound);
      }
      NDArray bad = m.create(new float[] {1, Float.NaN, 2});
      assertTrue(Double.isNaN(GradClip.clipFlat(bad, 1.0)));
      assertEquals(2f, bad.toFloatArray()[2], "a non-finite norm scales nothing");
    }
  }

  /** Groups of a flat vector against clipping each group's gradients separately. */
  @Test
  void flatGroupsClipLikeEachGroupAlone() {
    try (NDManager m = NDManager.newBaseManager()) {
      double[][] values = {{3, 4}, {12}, {0.1, 0.2, 0.2}, {30, 40}};
      String[] groupOf = {"a", "a", "b", "c"}; // a: (3, 4, 12) norm 13; b: 0.3; c: 50
      for (double bound : new double[] {1.0, 20.0, Double.POSITIVE_INFINITY}) {
        java.util.List<NDArray> grads = new java.util.ArrayList<>();
        for (double[] v : values) {
          grads.add(m.create(v));
        }
        NDArray flat = grads.get(0);
        for (int i = 1; i < grads.size(); i++) {
          flat = flat.concat(grads.get(i));
        }
        double want = GradClip.globalNorm(grads);
        if (bound != Double.POSITIVE_INFINITY) {
          java.util.Map<String, java.util.List<NDArray>> byGroup = new java.util.LinkedHashMap<>();
          for (int i = 0; i < grads.size(); i++) {
            byGroup.computeIfAbsent(groupOf[i], k -> new java.util.ArrayList<>()).add(grads.get(i));
          }
          for (java.util.List<NDArray> gs : byGroup.values()) {
            GradClip.clipGlobalNorm(gs, bound);
          }
        }
        double got =
            GradClip.clipFlatGroups(flat, new long[] {0, 3, 6}, new long[] {3, 6, 8}, bound);
        assertEquals(want, got, 1e-12, "bound " + bound);
        NDArray clipped = grads.get(0);
        for (int i = 1; i < grads.size(); i++) {
          clipped = clipped.concat(grads.get(i));
        }
        assertArrayEquals(clipped.toDoubleArray(), flat.toDoubleArray(), 1e-14, "bound " + bound);
      }
    }
  }
}
