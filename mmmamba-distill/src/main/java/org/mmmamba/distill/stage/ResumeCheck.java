package org.mmmamba.distill.stage;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.RandomWeights;
import org.mmmamba.distill.checkpoint.TrainingCheckpoint;
import org.mmmamba.distill.recipe.RunConfig;

/**
 * Resume preflight: the latest checkpoint of every stage that will restore one must match the
 * tensors that stage trains (names and shapes, weights and optimiser), checked before anything is
 * written.
 */
public final class ResumeCheck {
  private ResumeCheck() {}

  /**
   * @param stages the run's stages ({@link Stage#of})
   * @param all the all-Mamba student of the layer-wise stages
   * @param layers the layers this process trains
   * @param studentConfigs the students' configs, in the order of {@code c.students()}
   * @param layersOnly whether this process runs the layer-wise stages only
   */
  public static void verify(
      RunConfig c,
      List<Stage> stages,
      DecoderModel all,
      List<Integer> layers,
      List<DecoderConfig> studentConfigs,
      boolean layersOnly) {
    for (Stage stage : stages) {
      if (!stage.training().trains()) {
        continue;
      }
      if (stage instanceof LayerwiseStage lw) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (String name : lw.trainableNames(all.config(), layers)) {
          shapes.put(name, all.weights().get(name).getShape().getShape());
        }
        verifyLatest(lw.dir(c.outDir()).resolve("train"), shapes);
      } else if (stage instanceof EndToEnd e2e && !layersOnly) {
        for (int i = 0; i < c.students().size(); i++) {
          DecoderConfig sc = studentConfigs.get(i);
          Map<String, long[]> canonical = RandomWeights.canonicalShapes(sc);
          Map<String, long[]> shapes = new LinkedHashMap<>();
          for (String name : e2e.trainableNames(sc, null)) {
            shapes.put(name, canonical.get(name));
          }
          verifyLatest(e2e.dir(c.outDir(), c.students().get(i).name()).resolve("train"), shapes);
        }
      }
    }
  }

  private static void verifyLatest(Path trainDir, Map<String, long[]> shapes) {
    TrainingCheckpoint.latest(trainDir)
        .ifPresent(ckpt -> TrainingCheckpoint.verify(ckpt, shapes, true));
  }
}
