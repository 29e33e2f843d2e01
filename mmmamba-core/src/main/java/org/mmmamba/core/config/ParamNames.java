package org.mmmamba.core.config;

/**
 * Canonical parameter names: one naming scheme inside the runtime, whatever checkpoint family the
 * weights came from ({@code io.WeightMaps} translates). Paper symbols where the paper has them.
 *
 * <pre>
 * embed.weight (V, D)                       final_norm.weight (D)            lm_head.weight (V, D), absent if tied
 * layers.i.attn_norm.weight (D)             layers.i.mlp_norm.weight (D)
 * layers.i.attn.W_Q (H*P, D)  W_K, W_V (G*P, D)  W_O (D, H*P)  b_Q b_K b_V b_O (optional biases)
 * layers.i.mamba.W_x W_B W_C W_G W_dt W_O   conv.weight (C_conv, K)  conv.bias  dt_bias  A_log  D  norm.weight
 * layers.i.mlp.W_gate W_up (F, D)  W_down (D, F)
 * </pre>
 *
 * <p>Vision-language models ({@code VisionLanguageModel}) add, with p the patch size, N the stored
 * number of patches per tile and C the pixel channels:
 *
 * <pre>
 * vision.patch.weight (D, C*p*p)   the patch conv (kernel = stride = p) as a matrix, columns in (c, ky, kx) order
 * vision.patch.bias (D)            vision.pos (N+1, D), row 0 the unused class slot
 * vision.class (1, 1, D)           unused by the forward pass, kept so checkpoints round-trip
 * vision.proj1.weight (D, 4D)  vision.proj1.bias (D)  vision.proj2.weight (D, D)  vision.proj2.bias (D)
 * llm.tok_embeddings.weight (V, D) the LLM's own token table, unused on the multimodal path, kept for round-trips
 * </pre>
 */
public final class ParamNames {
  private ParamNames() {}

  public static final String EMBED = "embed.weight";
  public static final String FINAL_NORM = "final_norm.weight";
  public static final String LM_HEAD = "lm_head.weight";

  public static final String VISION_PATCH_W = "vision.patch.weight";
  public static final String VISION_PATCH_B = "vision.patch.bias";
  public static final String VISION_POS = "vision.pos";
  public static final String VISION_CLASS = "vision.class";
  public static final String VISION_PROJ1_W = "vision.proj1.weight";
  public static final String VISION_PROJ1_B = "vision.proj1.bias";
  public static final String VISION_PROJ2_W = "vision.proj2.weight";
  public static final String VISION_PROJ2_B = "vision.proj2.bias";
  public static final String LLM_TOK_EMBED = "llm.tok_embeddings.weight";

  /**
   * True for the tensors a vision-language model keeps outside its decoder stack ({@code vision.*}
   * and the LLM's unused token table): these live in the vision store, shared by a teacher and its
   * students.
   */
  public static boolean isVisionSide(String name) {
    return name.startsWith("vision.") || name.equals(LLM_TOK_EMBED);
  }

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

  /**
   * Mamba-2 tensor: role is W_x, W_B, W_C, W_G, W_dt, W_O, conv.weight, conv.bias, dt_bias, A_log,
   * D, norm.weight.
   */
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
