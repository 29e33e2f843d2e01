package org.mmmamba.app.bench;

import com.fasterxml.jackson.annotation.JsonValue;

/** The three models a benchmark compares (same dimensions, different token mixers). */
public enum BenchModel {
  /** Every layer softmax attention (the Transformer teacher, family LLAMA). */
  TEACHER,
  /** Every layer Mamba-2 (mmMamba-linear). */
  LINEAR,
  /** Mamba-2 except the configured attention layers (mmMamba-hybrid). */
  HYBRID;

  /** The lower-case name used in configs, JSON and tables. */
  @JsonValue
  public String id() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Parses "teacher", "linear" or "hybrid". */
  public static BenchModel parse(String s) {
    for (BenchModel m : values()) {
      if (m.id().equals(s)) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown bench model '" + s + "' (teacher, linear, hybrid)");
  }
}
