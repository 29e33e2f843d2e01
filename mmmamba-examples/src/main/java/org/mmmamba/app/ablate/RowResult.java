package org.mmmamba.app.ablate;

import java.util.List;
import java.util.Map;

/**
 * Our measurement for one ablation row, beside the paper's numbers for the same row.
 *
 * @param name the row's label
 * @param runs the run directories (under {@code runs/}) that produced it, one per seed
 * @param student the model evaluated ({@code teacher} for the teacher itself)
 * @param layout the student's hybrid layout and its attention layers, e.g. "head-interleaved:2 [0,
 *     4]" ("teacher (all attention)" for the teacher)
 * @param n held-out samples evaluated
 * @param accuracy exact-match accuracy on the held-out split, the mean over seeds
 * @param seedAccuracies the accuracy of each run (seed), in the order of {@code runs}
 * @param agreement fraction of answers equal to the teacher's, mean over seeds (null for the
 *     teacher)
 * @param kl mean KL(teacher || model) per answer token, mean over seeds (null for the teacher)
 * @param teacherAccuracy the teacher's accuracy on the same samples
 * @param paper the paper's numbers by metric (empty when the paper has no such row)
 */
public record RowResult(
    String name,
    List<String> runs,
    String student,
    String layout,
    int n,
    double accuracy,
    List<Double> seedAccuracies,
    Double agreement,
    Double kl,
    double teacherAccuracy,
    Map<String, Double> paper) {

  /** Accuracy as a fraction of the teacher's (NaN when the teacher scores 0). */
  public double vsTeacher() {
    return teacherAccuracy > 0 ? accuracy / teacherAccuracy : Double.NaN;
  }

  /**
   * Half-width of the normal-approximation 95% interval of an accuracy near this one measured on
   * the n held-out samples, 1.96 sqrt(p(1-p)/n): the test-set sampling error, not the seed-to-seed
   * spread.
   */
  public double ci95() {
    return n > 0 ? 1.96 * Math.sqrt(accuracy * (1 - accuracy) / n) : Double.NaN;
  }

  /** Sample standard deviation of the per-seed accuracies (NaN with one seed). */
  public double seedStd() {
    int k = seedAccuracies.size();
    if (k < 2) {
      return Double.NaN;
    }
    double ss = 0;
    for (double a : seedAccuracies) {
      ss += (a - accuracy) * (a - accuracy);
    }
    return Math.sqrt(ss / (k - 1));
  }
}
