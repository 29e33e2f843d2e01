package org.mmmamba.distill.stage;

import java.util.ArrayList;
import java.util.List;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.LayerKind;
import org.mmmamba.core.config.ParamNames;

/**
 * Which parameters each stage trains (docs/method.md §3), as named sets over canonical names.
 * Everything else is frozen. The stages ({@link DistilTheNew}, {@link DistilTheWhole}, {@link
 * EndToEnd}) name their sets from these.
 *
 * <ul>
 *   <li>Stage 1 "distill the new": conv (weight, bias), W_dt, dt_bias, A_log, W_G, gated-norm
 *       weight (and D when used).
 *   <li>Stage 2 "distill the whole": stage 1 plus the inherited W_C (= W_Q), W_B (= W_K), W_x (=
 *       W_V). W_O stays frozen.
 *   <li>Stage 3 "end to end": W_C, W_B, W_x, W_G, W_dt, conv, gated-norm weight of every Mamba-2
 *       layer; not dt_bias, A_log or W_O (the released code's substring match leaves them out).
 *       Kept attention layers, MLPs, norms, embeddings and the LM head stay frozen.
 * </ul>
 */
public final class TrainableSets {
  /** Roles trained in stage 1. */
  public static final List<String> NEW_PARAMS =
      List.of("conv.weight", "conv.bias", "W_dt", "dt_bias", "A_log", "W_G", "norm.weight", "D");

  /** Roles inherited from attention. */
  public static final List<String> INHERITED = List.of("W_x", "W_B", "W_C");

  /** Roles trained in stage 3. */
  public static final List<String> END_TO_END =
      List.of("W_x", "W_B", "W_C", "W_G", "W_dt", "conv.weight", "conv.bias", "norm.weight");

  private TrainableSets() {}

  /**
   * Canonical names of {@code roles} for a student of config {@code c} (a stage's {@link
   * Stage#roles()}), restricted to the Mamba-2 layers in {@code layers} (null = all); names absent
   * from the config (e.g. D when unused) are skipped.
   */
  public static List<String> names(List<String> roles, DecoderConfig c, List<Integer> layers) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < c.numLayers(); i++) {
      if (c.kind(i) != LayerKind.MAMBA2 || (layers != null && !layers.contains(i))) {
        continue;
      }
      for (String role : roles) {
        if (role.equals("D") && !c.mamba().useD()
            || role.equals("conv.bias") && !c.mamba().convBias()) {
          continue;
        }
        out.add(ParamNames.mamba(i, role));
      }
    }
    return out;
  }
}
