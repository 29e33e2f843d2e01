package org.mmmamba.distill.optim;

import java.util.function.Predicate;

/**
 * Which parameters receive weight decay.
 *
 * <p>The official mmMamba code decays every trainable parameter whose name lacks the substring
 * {@code "bias"} ({@code docs/method.md} §3). Under its names that leaves {@code dt_bias}, {@code
 * A_log_bias} and {@code conv1d.bias} undecayed, and decays the projections, {@code conv1d.weight}
 * and the gated-norm weight. Our canonical names ({@code model.ParamNames}) spell A's parameter
 * {@code A_log}, without "bias", so a plain substring test would decay it where the official run
 * did not. {@link #official()} reproduces the official sets under canonical names:
 *
 * <table>
 *   <caption>decay under {@link #official()}</caption>
 *   <tr><th>canonical name (last part)</th><th>official name</th><th>decay</th></tr>
 *   <tr><td>W_x W_B W_C W_G W_dt, W_Q W_K W_V W_O, mlp W_*</td><td>*_proj.weight, ...</td><td>yes</td></tr>
 *   <tr><td>conv.weight, norm.weight, *_norm.weight, embed/lm_head</td><td>conv1d.weight, g_norm.weight</td><td>yes</td></tr>
 *   <tr><td>dt_bias, conv.bias</td><td>dt_bias, conv1d.bias</td><td>no ("bias")</td></tr>
 *   <tr><td>A_log</td><td>A_log_bias</td><td>no (named "bias" officially)</td></tr>
 *   <tr><td>b_Q b_K b_V b_O</td><td>*.bias</td><td>no (a bias)</td></tr>
 *   <tr><td>D</td><td>(absent: use_D=false)</td><td>no (Mamba convention, like A_log)</td></tr>
 * </table>
 *
 * <p>Norm weights are decayed as in the official run (its rule only looks at "bias").
 */
public final class WeightDecay {
  private WeightDecay() {}

  /** The official rule under canonical names; see the class comment. */
  public static Predicate<String> official() {
    return WeightDecay::officialDecays;
  }

  /** Every parameter decays. */
  public static Predicate<String> all() {
    return name -> true;
  }

  /** No parameter decays. */
  public static Predicate<String> none() {
    return name -> false;
  }

  /** The official rule for one name (see the class comment). */
  public static boolean officialDecays(String name) {
    String last = name.substring(name.lastIndexOf('.') + 1);
    return !(name.contains("bias")
        || last.equals("A_log")
        || last.equals("D")
        || last.startsWith("b_"));
  }
}
