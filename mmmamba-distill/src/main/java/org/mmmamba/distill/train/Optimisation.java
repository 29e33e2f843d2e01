package org.mmmamba.distill.train;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import org.mmmamba.distill.optim.AdamW;
import org.mmmamba.distill.precision.LossScaler;
import org.mmmamba.distill.precision.MasterWeights;

/**
 * The optimiser side of one training loop, as {@link TrainingRun} builds it from its {@link
 * TrainingRun.Settings} for a set of trainable arrays: AdamW (on float32 {@link MasterWeights}
 * under fp16-mixed, with a {@link LossScaler}), and the {@link GradientStep} that runs each
 * optimiser step (per-group clipping when the settings name groups). Benchmarks build the same
 * thing to time single steps ({@link org.mmmamba.distill.stage.StageStep}).
 *
 * <p>Closing it closes the masters and the optimiser state; the trainable arrays stay as they are.
 */
public final class Optimisation implements AutoCloseable {
  private final MasterWeights masters;
  private final AdamW optimizer;
  private final LossScaler scaler;
  private final GradientStep step;

  private Optimisation(
      MasterWeights masters, AdamW optimizer, LossScaler scaler, GradientStep step) {
    this.masters = masters;
    this.optimizer = optimizer;
    this.scaler = scaler;
    this.step = step;
  }

  /**
   * Builds the optimiser for {@code trainable} (arrays that require gradients) under {@code s}.
   *
   * @throws IllegalArgumentException as {@link GradientStep}'s constructor
   */
  public static Optimisation open(TrainingRun.Settings s, Map<String, NDArray> trainable) {
    boolean mixed = s.precision().mixed();
    MasterWeights mw = mixed ? new MasterWeights(trainable) : null;
    AdamW opt = null;
    try {
      opt = new AdamW(mixed ? mw.masters() : trainable, s.adamw(), s.decays());
      if (mixed) {
        opt.parametersFlat(mw.flat()); // the masters are views of it: a few ops per update
      }
      LossScaler scaler = mixed ? new LossScaler(s.initialLossScale(), 2.0, 0.5, 2000) : null;
      GradientStep gs = new GradientStep(trainable, opt, s.schedule(), s.clip());
      if (mixed) {
        gs.mixedPrecision(mw, scaler);
      }
      if (s.clipGroup() != null) {
        gs.clipPerGroup(s.clipGroup());
      }
      return new Optimisation(mw, opt, scaler, gs);
    } catch (RuntimeException e) {
      if (opt != null) {
        opt.close();
      }
      if (mw != null) {
        mw.close();
      }
      throw e;
    }
  }

  /** The step runner. */
  public GradientStep step() {
    return step;
  }

  /** The optimiser. */
  public AdamW optimizer() {
    return optimizer;
  }

  /** The loss scaler (null unless fp16-mixed). */
  public LossScaler scaler() {
    return scaler;
  }

  /** The float32 masters (null unless fp16-mixed). */
  public MasterWeights masters() {
    return masters;
  }

  /**
   * What checkpoints hold and resume restores: the float32 masters under fp16-mixed, else the
   * trainable arrays themselves.
   */
  public Map<String, NDArray> saved(Map<String, NDArray> trainable) {
    return masters != null ? masters.masters() : trainable;
  }

  @Override
  public void close() {
    try {
      optimizer.close();
    } finally {
      if (masters != null) {
        masters.close();
      }
    }
  }
}
