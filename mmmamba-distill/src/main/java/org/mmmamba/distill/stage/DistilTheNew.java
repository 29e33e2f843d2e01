package org.mmmamba.distill.stage;

import java.util.List;
import org.mmmamba.distill.recipe.LayerwiseStageConfig;

/**
 * Stage 1 "distil the new" (docs/method.md): trains only the parameters attention did not have
 * (conv, W_dt, dt_bias, A_log, W_G, the gated norm, D when used) of every converted layer, against
 * the teacher's attention output, layer by layer. Output: {@code stage1/}.
 *
 * @param config its settings ({@code stages.stage1})
 */
public record DistilTheNew(LayerwiseStageConfig config) implements LayerwiseStage {
  @Override
  public String label() {
    return "stage1";
  }

  @Override
  public List<String> roles() {
    return TrainableSets.NEW_PARAMS;
  }

  @Override
  public int batchOrderSalt() {
    return 1;
  }
}
