package org.mmmamba.app.ablate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Fractional ranks and Spearman's rho, held equal to the textbook no-ties formula. */
class RanksTest {
  @Test
  void ranksAreDescendingWithTiesSharingTheMean() {
    assertArrayEquals(new double[] {3, 1, 2}, Ranks.descending(new double[] {0.1, 0.9, 0.5}));
    assertArrayEquals(
        new double[] {1.5, 1.5, 3, 4.5, 4.5}, Ranks.descending(new double[] {7, 7, 5, 1, 1}));
  }

  @Test
  void spearmanOfSameAndReversedOrder() {
    assertEquals(
        1.0, Ranks.spearman(new double[] {1, 2, 3, 4}, new double[] {10, 20, 35, 90}), 1e-12);
    assertEquals(-1.0, Ranks.spearman(new double[] {1, 2, 3, 4}, new double[] {4, 3, 2, 1}), 1e-12);
    assertTrue(Double.isNaN(Ranks.spearman(new double[] {1, 1, 1}, new double[] {1, 2, 3})));
    assertTrue(Double.isNaN(Ranks.spearman(new double[] {1}, new double[] {2})));
  }

  @Test
  void equalsTheTextbookFormulaWithoutTies() {
    Random rnd = new Random(11);
    for (int trial = 0; trial < 200; trial++) {
      int n = 2 + rnd.nextInt(9);
      double[] a = new double[n];
      double[] b = new double[n];
      for (int i = 0; i < n; i++) {
        a[i] = rnd.nextDouble();
        b[i] = rnd.nextDouble();
      }
      assertEquals(Ranks.spearmanNoTies(a, b), Ranks.spearman(a, b), 1e-12, "trial " + trial);
    }
  }

  @Test
  void tiesUsePearsonOnMeanRanks() {
    // ours: a=b tie; paper strictly ordered. Ranks (1.5,1.5,3) vs (1,2,3): r = 0.866...
    assertEquals(
        Math.sqrt(3) / 2,
        Ranks.spearman(new double[] {0.7, 0.7, 0.2}, new double[] {3, 2, 1}),
        1e-12);
  }
}
