package org.mmmamba.app.bench;

import com.fasterxml.jackson.annotation.JsonValue;

/** What a benchmark point measures. */
public enum Phase {
  /** One greedy next-token step against a context of a given length. */
  DECODE,
  /** Processing a prompt of a given length (last-token logits only). */
  PREFILL,
  /** Table 2: image-token prompt, then a fixed number of greedy tokens. */
  TABLE2,
  /** One optimiser step of stage 1 "distil the new" (layer-wise MSE). */
  STAGE1,
  /** One optimiser step of stage 2 "distil the whole" (layer-wise MSE). */
  STAGE2,
  /** One optimiser step of stage 3 "end to end" (KL over the logits). */
  STAGE3;

  /** True for the training-step phases. */
  public boolean training() {
    return this == STAGE1 || this == STAGE2 || this == STAGE3;
  }

  /** The lower-case name used in JSON and tables. */
  @JsonValue
  public String id() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Parses "decode", "prefill", "table2", "stage1", "stage2" or "stage3". */
  public static Phase parse(String s) {
    for (Phase p : values()) {
      if (p.id().equals(s)) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown phase '" + s + "'");
  }
}
