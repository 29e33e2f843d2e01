package org.mmmamba.core.seed;

import java.util.Locale;
import org.mmmamba.core.BadInputException;

/**
 * How a converted layer's Mamba-2 mixer is initialised from the teacher's attention (docs/method.md
 * §2.4, PAPER Table 4). In every strategy W_O is the teacher's (the official code always reuses the
 * attention's output projection). The values of each rule are in {@link MambaInit}.
 */
public enum InitStrategy {
  /**
   * "From scratch": W_C, W_B, W_x get PyTorch's default nn.Linear init; the new parameters as
   * {@link #INHERIT}.
   */
  SCRATCH,
  /**
   * "Inherit W_QKV": W_C = W_Q, W_B = W_K, W_x = W_V; conv, W_dt, dt_bias, A_log at PyTorch/Mamba
   * defaults.
   */
  INHERIT,
  /**
   * "Inherit W_QKV + mimic" (the released default): inherited W_QKV plus an identity conv, W_dt =
   * 0, A_log = 1 and a Mamba-2 dt_bias, so at init each head is a decayed causal linear attention.
   */
  INHERIT_MIMIC;

  /** The default strategy. */
  public static final InitStrategy DEFAULT = INHERIT_MIMIC;

  /** The text spelling ("scratch", "inherit", "inherit_mimic"). */
  public String spelling() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses "scratch", "inherit" or "inherit_mimic" (case-insensitive; '-' accepted for '_'). */
  public static InitStrategy parse(String s) {
    String n = s == null ? "" : s.strip().toLowerCase(Locale.ROOT).replace('-', '_');
    for (InitStrategy i : values()) {
      if (i.spelling().equals(n)) {
        return i;
      }
    }
    throw new BadInputException(
        "init '" + s + "': unknown strategy (expected scratch, inherit or inherit_mimic)");
  }
}
