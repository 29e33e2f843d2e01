package org.mmmamba.distill.stage;

import java.util.ArrayList;
import java.util.List;
import org.mmmamba.distill.recipe.LayerwiseStageConfig;

/**
 * Stage 2 "distil the whole" (docs/method.md): stage 1's parameters plus the ones inherited from
 * attention (W_C = W_Q, W_B = W_K, W_x = W_V), same layer-wise loss; W_O stays frozen. Output:
 * {@code stage2/}.
 *
 * @param config its settings ({@code stages.stage2})
 */
public record DistilTheWhole(LayerwiseStageConfig config) implements LayerwiseStage {
  @Override
  public String label() {
    return "stage2";
  }

  @Override
  public List<String> roles() {
    List<String> r = new ArrayList<>(TrainableSets.NEW_PARAMS);
    r.addAll(TrainableSets.INHERITED);
    return List.copyOf(r);
  }

  @Override
  public int batchOrderSalt() {
    return 2;
  }
}
