package org.mmmamba.distill.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.distill.data.EncodedSample;
import org.mmmamba.distill.data.SampleSource;
import org.mmmamba.distill.data.TaskData;
import org.mmmamba.distill.recipe.RunConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The evaluation that ends a distillation run: teacher and every student on the run's held-out
 * split.
 */
public final class HeldOutEvaluation {
  private static final Logger LOG = LoggerFactory.getLogger(HeldOutEvaluation.class);

  private HeldOutEvaluation() {}

  /**
   * Reports by model name, teacher first, then the students in order (agreement and KL against the
   * teacher).
   *
   * @param names the students' names, in the order of {@code students}
   */
  public static Map<String, EvalReport> run(
      RunConfig c,
      TaskData td,
      VisionLanguageModel teacher,
      List<String> names,
      List<VisionLanguageModel> students) {
    RunConfig.Synthetic syn = c.data().synthetic();
    Map<String, EvalReport> out = new LinkedHashMap<>();
    try (SampleSource test =
        td.source(
            c.data().test(),
            true,
            syn.seed(),
            syn.test(),
            c.data().imageRoot(),
            c.data().maxTokens(),
            c.brokenSamplePolicy())) {
      List<EncodedSample> samples = TaskData.all(test, c.eval().limit());
      Evaluator ev =
          new Evaluator(td.tokenizer(), td.stopId(), td.padId(), c.eval().maxNewTokens(), 32);
      Evaluator.Answers teacherAnswers = ev.answer(teacher, samples);
      out.put("teacher", ev.evaluate("teacher", teacher, samples, null, null));
      for (int i = 0; i < students.size(); i++) {
        String name = names.get(i);
        out.put(name, ev.evaluate(name, students.get(i), samples, teacher, teacherAnswers));
        LOG.info(
            "{}: accuracy {} agreement {}",
            name,
            out.get(name).accuracy(),
            out.get(name).agreement());
      }
    }
    return out;
  }
}
