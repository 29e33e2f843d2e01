package org.mmmamba.distill.data;

import java.util.Locale;

/** The question families of the synthetic {@link ShapesTask}. */
public enum QuestionType {
  /** "what color is the {shape} ?" - the asked shape occurs exactly once. */
  COLOR,
  /** "what shape is the {color} object ?" - the asked colour occurs exactly once. */
  SHAPE,
  /** "how many shapes are there ?" - answered with a number word. */
  COUNT,
  /** "where is the {color} {shape} ?" - answered with a grid position such as top-left. */
  POSITION;

  /**
   * @return the value written in the {@code question_type} field, e.g. {@code color}
   */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }
}
