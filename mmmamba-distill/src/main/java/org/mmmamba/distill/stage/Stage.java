package org.mmmamba.distill.stage;

import java.util.List;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.distill.recipe.RunConfig;
import org.mmmamba.distill.recipe.StageTraining;

/**
 * One of the paper's three stages (docs/method.md, "The three stages"). A stage owns what it trains
 * (its parameter roles), its loss, its output directory and its typed settings; {@link
 * org.mmmamba.distill.Distillation} runs them in order:
 *
 * <ol>
 *   <li>{@link DistilTheNew}: the new Mamba-2 parameters only, layer-wise MSE against the teacher's
 *       attention;
 *   <li>{@link DistilTheWhole}: the new and the inherited (W_C, W_B, W_x) parameters, same loss;
 *   <li>{@link EndToEnd}: once per student layout, KL between the teacher's and the student's
 *       next-token distributions over the whole model.
 * </ol>
 */
public sealed interface Stage permits LayerwiseStage, EndToEnd {
  /** The stage's name in logs, metrics and the run directory ("stage1", "stage2", "stage3"). */
  String label();

  /**
   * The Mamba-2 parameter roles this stage trains (see {@link TrainableSets}); everything else is
   * frozen.
   */
  List<String> roles();

  /** The training loop's settings. */
  StageTraining training();

  /**
   * Canonical names this stage trains in a model of config {@code c}, restricted to the Mamba-2
   * layers in {@code layers} (null = all).
   */
  default List<String> trainableNames(DecoderConfig c, List<Integer> layers) {
    return TrainableSets.names(roles(), c, layers);
  }

  /** The three stages of a validated run config, in order. */
  static List<Stage> of(RunConfig c) {
    return List.of(
        new DistilTheNew(c.distilTheNew()),
        new DistilTheWhole(c.distilTheWhole()),
        new EndToEnd(c.endToEnd()));
  }
}
