package org.mmmamba.distill.stage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.RandomWeights;
import org.mmmamba.core.seed.InitStrategy;
import org.mmmamba.core.seed.Seeder;
import org.mmmamba.distill.optim.AdamW;
import org.mmmamba.distill.optim.AdamWConfig;
import org.mmmamba.distill.optim.WeightDecay;
import org.mmmamba.distill.recipe.Recipes;
import org.mmmamba.distill.recipe.RunConfig;
import org.mmmamba.distill.train.GradientStep;
import org.mmmamba.distill.train.StepOutcome;

/**
 * {@link StageStep} against a step assembled by hand from the pieces the stages' training loop uses
 * (the loss, AdamW with the stage's weight decay, the stage's clip and schedule, per-layer clipping
 * for stages 1-2): on two identical students both give the same loss and the same weights
 * afterwards, and the step changes exactly the stage's trainable set.
 */
class StageStepTest {
  static {
    Offline.init();
  }

  static final String YAML =
      "stages:\n"
          + "  stage1: {clip: 0.001, schedule: {type: constant, warmup: 0}}\n"
          + "  stage2: {clip: 0.001, schedule: {type: constant, warmup: 0}}\n"
          + "  stage3: {clip: 0.001, schedule: {type: constant, warmup: 0}}\n";

  @Test
  void eachStageMatchesAHandBuiltStepAndTrainsOnlyItsSet() {
    RunConfig c = Recipes.parse(YAML, "test.yaml", List.of()).value();
    for (Stage stage : Stage.of(c)) {
      check(stage, c);
    }
  }

  private static void check(Stage stage, RunConfig c) {
    DecoderConfig tc = DecoderConfig.llama(32, 16, 2, 2, 1, 8, 24);
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel teacher = RandomWeights.model(tc, m, DataType.FLOAT32, 3);
        DecoderModel a = student(teacher, m);
        DecoderModel b = student(teacher, m)) {
      NDArray embeds = m.randomNormal(new Shape(2, 12, 16));
      NDArray mask = m.ones(new Shape(2, 12));
      Map<String, float[]> before = snapshot(a);
      StepOutcome got;
      Set<String> names;
      try (StageStep step = StageStep.of(stage, c, teacher, a)) {
        names = new HashSet<>(step.trainable().keySet());
        got = step.run(embeds, mask, null);
      }
      // The reference: the same pieces, put together by hand.
      boolean layerwise = stage instanceof LayerwiseStage;
      List<Integer> layers = List.of(0, 1);
      Map<String, NDArray> tb =
          Mixers.trainable(
              b.weights(), stage.trainableNames(b.config(), layerwise ? layers : null));
      double want;
      try (AdamW opt =
          new AdamW(
              tb,
              AdamWConfig.torchDefaults(stage.training().weightDecay()),
              WeightDecay.official())) {
        GradientStep gs =
            new GradientStep(tb, opt, Schedules.of(stage.training()), stage.training().clip());
        if (layerwise) {
          gs.clipPerGroup(n -> String.valueOf(org.mmmamba.core.config.ParamNames.layerOf(n)));
        }
        LayerwiseLoss ll =
            layerwise ? new LayerwiseLoss(teacher, b, layers, 1000.0, false, 2) : null;
        EndToEndLoss el = layerwise ? null : new EndToEndLoss(teacher, b, 1.0, 0.0);
        want = gs.run(1, i -> layerwise ? ll.loss(embeds) : el.loss(embeds, mask, null)).loss();
      } finally {
        Mixers.freeze(tb);
      }
      assertTrue(got.applied(), stage.label());
      assertEquals(want, got.loss(), 0.0, stage.label() + " loss");
      assertEquals(tb.keySet(), names, stage.label() + " trainable set");
      Map<String, float[]> after = snapshot(a);
      Map<String, float[]> twin = snapshot(b);
      for (String n : after.keySet()) {
        assertArrayEquals(twin.get(n), after.get(n), 0f, stage.label() + " " + n);
        boolean changed = !java.util.Arrays.equals(before.get(n), after.get(n));
        assertEquals(names.contains(n), changed, stage.label() + " changed " + n);
      }
      for (String n : a.weights().names()) {
        assertFalse(a.weights().get(n).hasGradient(), "frozen again after close: " + n);
      }
    }
  }

  private static DecoderModel student(DecoderModel teacher, NDManager m) {
    return Seeder.seed(
        teacher.config(),
        teacher.weights(),
        HybridLayout.linear(),
        InitStrategy.INHERIT_MIMIC,
        5,
        2,
        4,
        m);
  }

  private static Map<String, float[]> snapshot(DecoderModel d) {
    Map<String, float[]> out = new java.util.TreeMap<>();
    for (String n : d.weights().names()) {
      out.put(n, d.weights().get(n).toFloatArray());
    }
    return out;
  }
}
