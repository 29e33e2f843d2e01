package org.mmmamba.distill.card;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mmmamba.distill.Distillation;
import org.mmmamba.distill.eval.EvalReport;
import org.mmmamba.distill.recipe.RunConfig;
import org.mmmamba.distill.train.TrainingRun;

/** The {@link ModelCard}s of what a distillation run, a teacher training or a conversion saves. */
public final class Cards {
  private Cards() {}

  /**
   * Writes the card of every student of a finished run into its model directory.
   *
   * @param r the run's result (summaries, students, evaluation)
   * @param c the run's config
   * @param commit the code's git commit, or null
   * @param command the command line, or null/empty for an API call
   * @param device the device the run used (e.g. {@code cpu()})
   */
  public static void writeStudents(
      Distillation.Result r, RunConfig c, String commit, List<String> command, String device) {
    String cmd =
        command == null || command.isEmpty()
            ? "Distillation.run (config " + c.run().name() + ")"
            : "mmmamba " + String.join(" ", command);
    for (Distillation.StudentResult s : r.students()) {
      List<ModelCard.Stage> stages = new ArrayList<>();
      stage(
          stages,
          "stage 1 (distill the new: layer-wise MSE, new parameters)",
          r.stage1(),
          c.stages().stage1());
      stage(
          stages,
          "stage 2 (distill the whole: layer-wise MSE, every mixer parameter)",
          r.stage2(),
          c.stages().stage2());
      stage(stages, "stage 3 (end to end: KL on the logits)", s.stage3(), c.stages().stage3());
      Map<String, Double> held = new LinkedHashMap<>();
      String heldData = null;
      EvalReport e = r.eval().get(s.name());
      if (e != null) {
        held.put("exact_match", e.accuracy());
        if (e.agreement() != null) {
          held.put("agreement_with_teacher", e.agreement());
        }
        if (e.kl() != null) {
          held.put("kl_per_answer_token", e.kl());
        }
        EvalReport t = r.eval().get("teacher");
        if (t != null) {
          held.put("teacher_exact_match", t.accuracy());
        }
        heldData = dataName(c.data().test()) + " held-out, " + e.n() + " samples";
      }
      String kind =
          "An mmMamba "
              + (s.layout().equals("linear") ? "linear (pure Mamba-2)" : "hybrid")
              + " student distilled from a decoder-only vision-language Transformer by the three-stage mmMamba recipe"
              + " (arXiv 2502.13145).";
      new ModelCard(
              c.run().name() + "/" + s.name(),
              kind,
              c.teacher().path(),
              s.layout(),
              c.init().strategy()
                  + " (conv kernel "
                  + c.init().convKernel()
                  + ", chunk "
                  + c.init().chunkSize()
                  + ")",
              stages,
              trainData(
                  c.data().train(),
                  c.data().synthetic() == null ? null : c.data().synthetic().train()),
              held,
              heldData,
              c.run().dtype(),
              device,
              commit,
              cmd)
          .write(s.modelDir());
    }
  }

  /**
   * The card of a trained teacher.
   *
   * @param modelDir where it is saved
   * @param name its name
   * @param layout e.g. {@code 2 holistic embedding + 6 LLM layers, width 64}
   * @param stage the training (null when untrained)
   * @param stageDetail e.g. the learning rate
   * @param data its training data
   * @param heldOut held-out figures (may be empty)
   * @param heldOutData what they were measured on
   * @param precision dtype
   * @param device device
   * @param commit git commit or null
   * @param command the command
   * @return the file written
   */
  public static Path writeTeacher(
      Path modelDir,
      String name,
      String layout,
      TrainingRun.Summary stage,
      String stageDetail,
      String data,
      Map<String, Double> heldOut,
      String heldOutData,
      String precision,
      String device,
      String commit,
      String command) {
    List<ModelCard.Stage> stages =
        stage == null
            ? List.of()
            : List.of(new ModelCard.Stage("training (cross-entropy)", stage.steps(), stageDetail));
    return new ModelCard(
            name,
            "A HoVLE-style decoder-only vision-language Transformer (image patches and text "
                + "through one decoder), trained from scratch as a teacher for mmMamba distillation.",
            null,
            layout,
            "random",
            stages,
            data,
            heldOut,
            heldOutData,
            precision,
            device,
            commit,
            command)
        .write(modelDir);
  }

  /**
   * The card of a student converted (seeded) from a teacher without training.
   *
   * @param out its directory
   * @param teacher the teacher's directory
   * @param layout its layout
   * @param init the init strategy and seed
   * @param commit git commit or null
   * @param command the command
   * @return the file written
   */
  public static Path writeConverted(
      Path out, Path teacher, String layout, String init, String commit, String command) {
    return new ModelCard(
            out.getFileName().toString(),
            "An mmMamba student seeded from a Transformer teacher "
                + "(attention weights inherited: W_Q to C, W_K to B, W_V to x, W_O to the output projection), not trained "
                + "yet: distil it with `mmmamba distill` before use.",
            teacher.toString(),
            layout,
            init,
            List.of(),
            null,
            Map.of(),
            null,
            "float32",
            "cpu",
            commit,
            command)
        .write(out);
  }

  private static void stage(
      List<ModelCard.Stage> out, String name, TrainingRun.Summary s, RunConfig.Stage cfg) {
    if (s == null) {
      return;
    }
    out.add(
        new ModelCard.Stage(
            name,
            s.steps(),
            String.format(
                Locale.ROOT,
                "lr %s, %s schedule, batch %s",
                java.math.BigDecimal.valueOf(cfg.lr()).toPlainString(),
                cfg.schedule().type(),
                cfg.batchSize() == null ? "of data.batch_size" : cfg.batchSize())));
  }

  private static String dataName(String d) {
    return d == null ? "none" : d;
  }

  private static String trainData(String train, Integer syntheticTrain) {
    if (train == null) {
      return "none";
    }
    return train.startsWith("builtin:") && syntheticTrain != null
        ? train + " (synthetic, " + syntheticTrain + " training samples)"
        : train;
  }
}
