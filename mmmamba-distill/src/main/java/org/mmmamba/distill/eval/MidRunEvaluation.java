package org.mmmamba.distill.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.distill.data.EncodedSample;

/**
 * Held-out evaluation during stage 3: the same samples every time, the teacher's answers computed
 * once, and the points of each student kept to name its best step.
 *
 * <p>Figures per point: {@code exact_match} (accuracy of greedy answers), {@code agreement}
 * (answers equal to the teacher's) and {@code kl} (mean KL(teacher || student) per answer token,
 * teacher-forced).
 */
public final class MidRunEvaluation {
  private final Evaluator evaluator;
  private final List<EncodedSample> samples;
  private final VisionLanguageModel teacher;
  private Evaluator.Answers teacherAnswers;

  /**
   * @param evaluator the evaluator (greedy answers, KL)
   * @param samples the held-out samples (already limited)
   * @param teacher the teacher
   */
  public MidRunEvaluation(
      Evaluator evaluator, List<EncodedSample> samples, VisionLanguageModel teacher) {
    this.evaluator = evaluator;
    this.samples = List.copyOf(samples);
    this.teacher = teacher;
  }

  /**
   * The held-out set of {@code eval.every} for a run, or null when mid-run evaluation is off.
   *
   * @param c the run config
   * @param td the task (tokenizer, template)
   * @param teacher the teacher
   */
  public static MidRunEvaluation forRun(
      org.mmmamba.distill.recipe.RunConfig c,
      org.mmmamba.distill.data.TaskData td,
      VisionLanguageModel teacher)
      throws java.io.IOException {
    if (!Boolean.TRUE.equals(c.eval().enabled())
        || c.data().test() == null
        || c.eval().every() == null
        || c.eval().every() == 0) {
      return null;
    }
    org.mmmamba.distill.recipe.RunConfig.Synthetic syn = c.data().synthetic();
    try (org.mmmamba.distill.data.SampleSource test =
        td.source(
            c.data().test(),
            true,
            syn.seed(),
            syn.test(),
            c.data().imageRoot(),
            c.data().maxTokens(),
            c.brokenSamplePolicy())) {
      Evaluator ev =
          new Evaluator(td.tokenizer(), td.stopId(), td.padId(), c.eval().maxNewTokens(), 32);
      return new MidRunEvaluation(
          ev, org.mmmamba.distill.data.TaskData.all(test, c.eval().limit()), teacher);
    }
  }

  /**
   * @return the number of held-out samples each point uses
   */
  public int size() {
    return samples.size();
  }

  /**
   * Evaluates {@code student} as it is now.
   *
   * @param name the student's name (for logs)
   * @param student the student, sharing its weights with the model being trained
   * @return {@code exact_match}, {@code agreement}, {@code kl}
   */
  public Map<String, Double> figures(String name, VisionLanguageModel student) {
    if (teacherAnswers == null) {
      teacherAnswers = evaluator.answer(teacher, samples);
    }
    EvalReport r = evaluator.evaluate(name, student, samples, teacher, teacherAnswers);
    Map<String, Double> out = new LinkedHashMap<>();
    out.put("exact_match", r.accuracy());
    out.put("agreement", r.agreement());
    out.put("kl", r.kl());
    return out;
  }

  /**
   * One point of a student's curve.
   *
   * @param step the stage-3 step
   * @param figures exact_match, agreement, kl
   */
  public record Point(long step, Map<String, Double> figures) {}

  /**
   * The best of a curve: highest exact match, then highest agreement, then lowest KL, then the
   * earliest step.
   *
   * @param points the curve (any order)
   * @return the best point, or null for an empty curve
   */
  public static Point best(List<Point> points) {
    Point best = null;
    for (Point p : new ArrayList<>(points)) {
      if (best == null || better(p, best)) {
        best = p;
      }
    }
    return best;
  }

  private static boolean better(Point a, Point b) {
    int c = Double.compare(a.figures().get("exact_match"), b.figures().get("exact_match"));
    if (c == 0) {
      c = Double.compare(a.figures().get("agreement"), b.figures().get("agreement"));
    }
    if (c == 0) {
      c = -Double.compare(a.figures().get("kl"), b.figures().get("kl"));
    }
    return c > 0 || (c == 0 && a.step() < b.step());
  }
}
