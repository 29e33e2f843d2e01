package org.mmmamba.distill.recipe;

/** The learning-rate schedule of a stage ({@code schedule.type}). */
public enum ScheduleKind {
  /** Warmup, stable, decay (the released recipe). */
  WSD,
  /** Warmup, then cosine to 0 at the last step. */
  COSINE,
  /** Warmup, then constant. */
  CONSTANT
}
