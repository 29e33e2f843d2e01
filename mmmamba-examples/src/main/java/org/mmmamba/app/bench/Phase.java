package org.mmmamba.app.bench;

import com.fasterxml.jackson.annotation.JsonValue;

/** What a benchmark point measures. */
public enum Phase {
  /** One greedy next-token step against a context of a given length. */
  DECODE,
  /** Processing a prompt of a given length (last-token logits only). */
  PREFILL,
  /** Table 2: image-token prompt, then a fixed number of greedy tokens. */
  TABLE2;

  /** The lower-case name used in JSON and tables. */
  @JsonValue
  public String id() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Parses "decode", "prefill" or "table2". */
  public static Phase parse(String s) {
    for (Phase p : values()) {
      if (p.id().equals(s)) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown phase '" + s + "'");
  }
}
