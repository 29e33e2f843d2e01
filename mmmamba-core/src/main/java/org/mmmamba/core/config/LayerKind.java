package org.mmmamba.core.config;

/** What mixes tokens in a decoder layer. */
public enum LayerKind {
  /** Softmax attention (the teacher's; kept in hybrids). */
  ATTENTION,
  /** A Mamba-2 mixer. */
  MAMBA2;

  /** The {@code layers_block_type} spelling used by the released mmMamba configs. */
  public String hfName() {
    return this == ATTENTION ? "mha" : "mamba2";
  }

  /** Parses "mha"/"attention" or "mamba2"/"mamba". */
  public static LayerKind parse(String s) {
    switch (s.toLowerCase(java.util.Locale.ROOT)) {
      case "mha":
      case "attention":
      case "attn":
        return ATTENTION;
      case "mamba2":
      case "mamba":
        return MAMBA2;
      default:
        throw new org.mmmamba.core.BadInputException(
            "unknown layer kind '" + s + "' (expected mha or mamba2)");
    }
  }
}
