package org.mmmamba.distill.stage;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.distill.recipe.RunConfig;
import org.mmmamba.distill.train.Optimisation;
import org.mmmamba.distill.train.StepOutcome;

/**
 * One optimiser step of a stage on inputs given as arrays, without a run directory, dataset or
 * checkpoint: the stage's trainable set ({@link Stage#trainableNames}), its loss ({@link
 * LayerwiseStage#loss} or {@link EndToEnd#loss}) and the optimiser its training loop builds from
 * the run config ({@link StageContext#settings(RunConfig, String,
 * org.mmmamba.distill.recipe.StageTraining, boolean)}, {@link Optimisation}: AdamW, fp16-mixed
 * masters and loss scaling, per-layer clipping for stages 1-2). What {@code mmmamba bench} times
 * for its training-step phases, on random weights.
 *
 * <p>Stages 1-2 train every layer of {@code student} (an all-Mamba student, as {@link
 * org.mmmamba.distill.Distillation} seeds it); stage 3 trains every Mamba-2 layer of {@code
 * student} end to end. Closing the step freezes the trainable arrays again and frees the optimiser
 * state.
 *
 * <p>Shapes: embeds (B, L, D) in the models' dtype, mask (B, L) positions that count in stage 3's
 * KL (ignored by stages 1-2).
 */
public final class StageStep implements AutoCloseable {
  private final Stage stage;
  private final Map<String, NDArray> trainable;
  private final Optimisation optimisation;
  private final LayerwiseLoss layerwise;
  private final EndToEndLoss endToEnd;

  private StageStep(
      Stage stage,
      Map<String, NDArray> trainable,
      Optimisation optimisation,
      LayerwiseLoss layerwise,
      EndToEndLoss endToEnd) {
    this.stage = stage;
    this.trainable = trainable;
    this.optimisation = optimisation;
    this.layerwise = layerwise;
    this.endToEnd = endToEnd;
  }

  /**
   * Prepares {@code stage}'s step: marks its parameters of {@code student} trainable and builds its
   * loss and optimiser with the settings of {@code config} (precision included).
   *
   * @param config a validated run config (its stage blocks and {@code run.precision} are used)
   * @param teacher the all-attention teacher decoder (frozen)
   * @param student the student whose Mamba-2 layers train (all layers for stages 1-2)
   */
  public static StageStep of(
      Stage stage, RunConfig config, DecoderModel teacher, DecoderModel student) {
    boolean perLayer = stage instanceof LayerwiseStage;
    List<Integer> layers = IntStream.range(0, student.config().numLayers()).boxed().toList();
    Map<String, NDArray> trainable =
        Mixers.trainable(
            student.weights(), stage.trainableNames(student.config(), perLayer ? layers : null));
    try {
      Optimisation o =
          Optimisation.open(
              StageContext.settings(config, stage.label(), stage.training(), perLayer), trainable);
      return new StageStep(
          stage,
          trainable,
          o,
          stage instanceof LayerwiseStage ls ? ls.loss(teacher, student, layers) : null,
          stage instanceof EndToEnd e2e ? e2e.loss(teacher, student) : null);
    } catch (RuntimeException e) {
      Mixers.freeze(trainable);
      throw e;
    }
  }

  /** The stage. */
  public Stage stage() {
    return stage;
  }

  /** The parameters the step trains, by canonical name. */
  public Map<String, NDArray> trainable() {
    return java.util.Collections.unmodifiableMap(trainable);
  }

  /** Number of trained parameters (elements). */
  public long trainableParameters() {
    return trainable.values().stream().mapToLong(NDArray::size).sum();
  }

  /**
   * Runs one optimiser step on one micro-batch. The loss is read back to the host inside the step
   * (as in training); the update itself may still be running on a GPU when this returns.
   *
   * @param embeds (B, L, D) input embeddings
   * @param mask (B, L) positions counted by stage 3's KL (unused by stages 1-2)
   * @param nextIds (B, L) next-token ids for stage 3's optional CE term (may be null when its
   *     weight is 0)
   */
  public StepOutcome run(NDArray embeds, NDArray mask, NDArray nextIds) {
    return optimisation
        .step()
        .run(
            1,
            i -> layerwise != null ? layerwise.loss(embeds) : endToEnd.loss(embeds, mask, nextIds));
  }

  @Override
  public void close() {
    try {
      optimisation.close();
    } finally {
      Mixers.freeze(trainable);
    }
  }
}
