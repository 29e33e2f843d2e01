package org.mmmamba.distill.stage;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.distill.recipe.LayerTarget;
import org.mmmamba.distill.recipe.LayerwiseStageConfig;
import org.mmmamba.distill.recipe.StageTraining;
import org.mmmamba.distill.train.TrainingRun;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A layer-wise stage (1 or 2): trains its roles of every converted layer of the all-Mamba student
 * against the teacher's attention, layer by layer ({@link LayerwiseLoss}), and saves the result as
 * {@code STAGE/mixers.safetensors}.
 */
public sealed interface LayerwiseStage extends Stage permits DistilTheNew, DistilTheWhole {
  /** Its settings. */
  LayerwiseStageConfig config();

  /**
   * Added to the shuffle seed, so that each stage sees its own batch order (without a teacher
   * cache).
   */
  int batchOrderSalt();

  @Override
  default StageTraining training() {
    return config().training();
  }

  /** The stage's directory in the run directory. */
  default Path dir(Path runDir) {
    return runDir.resolve(label());
  }

  /** The stage's result: every Mamba-2 tensor of the trained layers. */
  default Path result(Path runDir) {
    return dir(runDir).resolve("mixers.safetensors");
  }

  /**
   * The stage's loss on {@code layers} of {@code student} against {@code teacher} (its loss scale
   * and target, the mean over the student's layer count).
   */
  default LayerwiseLoss loss(DecoderModel teacher, DecoderModel student, List<Integer> layers) {
    return new LayerwiseLoss(
        teacher,
        student,
        layers,
        config().lossScale(),
        config().target() == LayerTarget.AFTER_WO,
        student.config().numLayers());
  }

  /**
   * Trains {@code layers} of {@code all} in place and saves the result; null when the stage is off.
   *
   * @param all the all-Mamba student holding every stage's result
   * @param layers the layers this process trains
   */
  default TrainingRun.Summary train(StageContext ctx, DecoderModel all, List<Integer> layers)
      throws IOException {
    Logger log = LoggerFactory.getLogger(LayerwiseStage.class);
    Path dir = dir(ctx.config().outDir());
    StageTraining s = training();
    if (!s.trains()) {
      log.info("{}: skipped", label());
      return null;
    }
    ctx.releaseCachedGpuMemory();
    Map<String, NDArray> trainable =
        Mixers.trainable(all.weights(), trainableNames(all.config(), layers));
    LayerwiseLoss loss = loss(ctx.teacher().decoder(), all, layers);
    String cacheDir = ctx.config().teacher().cacheDir();
    TeacherCache cache =
        cacheDir == null ? null : new TeacherCache(Path.of(cacheDir), ctx.root(), ctx.dtype());
    TrainingRun.Summary sum;
    try {
      // With a teacher cache both layer-wise stages read the same batch order, so stage 2 reuses
      // stage 1's signals.
      sum =
          TrainingRun.run(
              dir.resolve("train"),
              ctx.settings(label(), s, true),
              trainable,
              ctx.stream(s, cache == null ? batchOrderSalt() : 1),
              b -> {
                if (cache == null) {
                  return loss.loss(ctx.embeds(b));
                }
                try {
                  return loss.loss(cache.get(b, layers, () -> loss.teacherSignals(ctx.embeds(b))));
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              },
              ctx.resume(),
              org.mmmamba.distill.train.RunHooks.tensorBoard(ctx.tensorBoard(label()))
                  .withStepListener(ctx.onStep()));
      if (cache != null) {
        log.info("{}: teacher cache {} hits, {} misses", label(), cache.hits(), cache.misses());
      }
    } finally {
      Mixers.freeze(trainable);
    }
    Mixers.save(all.weights(), Mixers.names(all, layers), result(ctx.config().outDir()));
    return sum;
  }
}
