package org.mmmamba.app.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.seed.InitStrategy;
import org.mmmamba.core.seed.Seeder;
import org.mmmamba.distill.recipe.Recipes;
import org.mmmamba.distill.recipe.RunConfig;
import org.mmmamba.distill.stage.Stage;
import org.mmmamba.distill.stage.StageStep;
import org.mmmamba.distill.train.StepOutcome;

/**
 * The training-step phases: optimiser steps of stages 1, 2 and 3 through the distillation library
 * ({@link StageStep}: the stage's trainable set, loss and optimiser as {@code mmmamba distill}
 * builds them), on a random-weight teacher of the config's dims and the all-Mamba student {@link
 * Seeder} makes from it (inherit_mimic), with the distillation defaults' stage settings and the
 * pass's precision (fp16: fp16-mixed). Inputs: random token ids (B, L) embedded by the teacher,
 * every position counted in stage 3's KL. Each step ends with a host read of a trained parameter,
 * so its time covers the update on a GPU too. The stages run in order on the same student (as in a
 * run).
 */
final class TrainingPoints {
  private TrainingPoints() {}

  /** The distillation defaults with {@code precision}, as a validated run config. */
  static RunConfig runConfig(BenchPrecision p) {
    return Recipes.parse(
            "run: {precision: " + p.training().key() + "}\n",
            "bench (distillation defaults)",
            List.of())
        .value();
  }

  /** Every training point of the config in this pass; results untagged and without floors. */
  static List<BenchResult> run(BenchConfig c, BenchPrecision p, NDManager m, Consumer<String> log) {
    List<BenchResult> out = new ArrayList<>();
    if (c.training().points().isEmpty() || c.training().stages().isEmpty()) {
      return out;
    }
    RunConfig rc = runConfig(p);
    DataType dt = p.dtype(c.dtype());
    long t0 = System.nanoTime();
    try (DecoderModel teacher = BenchModels.build(c, BenchModel.TEACHER, m, dt);
        DecoderModel student =
            Seeder.seedSharingFrozen(
                teacher.config(),
                teacher.weights(),
                HybridLayout.linear(),
                InitStrategy.INHERIT_MIMIC,
                c.seed(),
                c.model().convKernel(),
                c.model().chunkSize(),
                m)) {
      log.accept(
          String.format(
              "bench: %s: teacher and student built in %.1f s",
              p.key(), (System.nanoTime() - t0) / 1e9));
      for (Phase phase : c.trainingPhases()) {
        Stage stage = Stage.of(rc).get(phase.ordinal() - Phase.STAGE1.ordinal());
        for (BenchConfig.TrainPoint tp : c.training().points()) {
          out.add(point(c, stage, phase, rc, teacher, student, tp, m, dt, log));
        }
      }
    }
    return out;
  }

  private static BenchResult point(
      BenchConfig c,
      Stage stage,
      Phase phase,
      RunConfig rc,
      DecoderModel teacher,
      DecoderModel student,
      BenchConfig.TrainPoint tp,
      NDManager m,
      DataType dt,
      Consumer<String> log) {
    int b = tp.batch();
    int l = tp.context();
    long[] ids =
        Points.randomIds(
            new SplittableRandom(c.seed() + 31L * l + b), b * l, teacher.config().vocabSize());
    int warmup = c.training().warmup();
    int steps = c.training().steps();
    double[] ms = new double[steps];
    int skipped = 0;
    BenchResult.MemoryWindow.Start w;
    try (NDManager inputs = m.newSubManager()) {
      NDArray embeds;
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        embeds = teacher.embed(inputs.create(ids, new Shape(b, l)));
        NDScope.unregister(embeds);
      }
      embeds.attach(inputs);
      NDArray mask = inputs.ones(new Shape(b, l), dt);
      w = BenchResult.MemoryWindow.start(m.getDevice());
      try (StageStep step = StageStep.of(stage, rc, teacher, student)) {
        NDArray probe = step.trainable().values().iterator().next();
        for (int s = 0; s < warmup + steps; s++) {
          long t0 = System.nanoTime();
          StepOutcome o = step.run(embeds, mask, null);
          HardwareFloors.sync(probe);
          double took = (System.nanoTime() - t0) / 1e6;
          if (s >= warmup) {
            ms[s - warmup] = took;
            skipped += o.applied() ? 0 : 1;
          }
        }
      }
    }
    BenchResult.MemoryWindow mem = w.end();
    if (skipped > 0) {
      log.accept(
          "bench: "
              + phase.id()
              + " "
              + l
              + "x"
              + b
              + ": "
              + skipped
              + " of "
              + steps
              + " timed steps skipped (non-finite; loss-scale backoff under fp16)");
    }
    List<Double> samples = java.util.Arrays.stream(ms).boxed().toList();
    return BenchResult.trainingStep(phase, l, b, Stats.of(ms), mem, samples);
  }
}
