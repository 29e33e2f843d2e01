package org.mmmamba.core.model;

/**
 * Canonical parameter names: one naming scheme inside the runtime, whatever checkpoint family the weights
 * came from ({@code io.WeightMaps} translates). Paper symbols where the paper has them.
 *
 * <pre>
 * embed.weight (V, D)                       final_norm.weight (D)            lm_head.weight (V, D), absent if tied
 * layers.i.attn_norm.weight (D)             layers.i.mlp_norm.weight (D)
 * layers.i.attn.W_Q (H*P, D)  W_K, W_V (G*P, D)  W_O (D, H*P)  b_Q b_K b_V b_O (optional biases)
 * layers.i.mamba.W_x W_B W_C W_G W_dt W_O   conv.weight (C_conv, K)  conv.bias  dt_bias  A_log  D  norm.weight
 * layers.i.mlp.W_gate W_up (F, D)  W_down (D, F)
 * </pre>
 */
public final class ParamNames {
  private ParamNames() {}

  public static final String EMBED = "embed.weight";
  public static final String FINAL_NORM = "final_norm.weight";
  public static final String LM_HEAD = "lm_head.weight";

  /** "layers.i." */
  public static String layer(int i) {
    return "layers." + i + ".";
  }

  public static String attnNorm(int i) {
    return layer(i) + "attn_norm.weight";
  }

  public static String mlpNorm(int i) {
    return layer(i) + "mlp_norm.weight";
  }

  /** Attention tensor: role is W_Q, W_K, W_V, W_O, b_Q, b_K, b_V or b_O. */
  public static String attn(int i, String role) {
    return layer(i) + "attn." + role;
  }

  /** Mamba-2 tensor: role is W_x, W_B, W_C, W_G, W_dt, W_O, conv.weight, conv.bias, dt_bias, A_log, D, norm.weight. */
  public static String mamba(int i, String role) {
    return layer(i) + "mamba." + role;
  }

  /** MLP tensor: role is W_gate, W_up or W_down. */
  public static String mlp(int i, String role) {
    return layer(i) + "mlp." + role;
  }

  /** The layer index of a canonical layer name, or -1. */
  public static int layerOf(String name) {
    if (!name.startsWith("layers.")) {
      return -1;
    }
    int end = name.indexOf('.', 7);
    return Integer.parseInt(name.substring(7, end));
  }
}
