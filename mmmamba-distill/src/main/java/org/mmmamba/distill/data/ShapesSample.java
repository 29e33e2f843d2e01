package org.mmmamba.distill.data;

import java.util.List;
import org.mmmamba.core.vision.RgbImage;

/**
 * One generated example of the {@link ShapesTask}.
 *
 * @param id the sample id, e.g. {@code train-000042}
 * @param image the rendered image
 * @param question the question, e.g. {@code what color is the circle ?}
 * @param answer the single-word answer, e.g. {@code red}
 * @param questionType the question family
 * @param objects what was drawn, for checking answers against pixels
 */
public record ShapesSample(
    String id,
    RgbImage image,
    String question,
    String answer,
    QuestionType questionType,
    List<ShapeObject> objects) {

  /**
   * Copies the object list.
   *
   * @param id the sample id, e.g. {@code train-000042}
   * @param image the rendered image
   * @param question the question, e.g. {@code what color is the circle ?}
   * @param answer the single-word answer, e.g. {@code red}
   * @param questionType the question family
   * @param objects what was drawn, for checking answers against pixels
   */
  public ShapesSample {
    objects = List.copyOf(objects);
  }
}
