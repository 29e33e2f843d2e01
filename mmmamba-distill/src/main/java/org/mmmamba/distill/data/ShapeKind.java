package org.mmmamba.distill.data;

import java.util.Locale;

/** The shapes of the synthetic {@link ShapesTask}. */
public enum ShapeKind {
  /** A filled disc. */
  CIRCLE,
  /** A filled axis-aligned square. */
  SQUARE,
  /** A filled triangle, apex up. */
  TRIANGLE;

  /**
   * @return the word used in questions and answers, e.g. {@code circle}
   */
  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }
}
