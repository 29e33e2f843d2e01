package org.mmmamba.examples;

import java.awt.image.RenderedImage;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.mmmamba.app.report.Pictures;

/**
 * Stands in for IJava's display functions when {@link NotebookRunner} executes a notebook: the
 * JShell session defines {@code display(Object)} and {@code display(Object, String...)} to call
 * {@link #display}, which turns the object into a MIME bundle the way IJava's default renderers do
 * for the types the notebooks use (a {@link RenderedImage} as {@code image/png}, anything else as
 * {@code text/plain}) and hands it to the runner's current cell.
 */
public final class NotebookDisplay {
  private static volatile Consumer<Map<String, String>> sink;

  private NotebookDisplay() {}

  /** Sets (or clears, with null) the receiver of display bundles. */
  static void sink(Consumer<Map<String, String>> s) {
    sink = s;
  }

  /**
   * Records one display call.
   *
   * @param o the object shown
   * @return a display id, as IJava's {@code display} returns one
   */
  public static String display(Object o) {
    Map<String, String> bundle = new LinkedHashMap<>();
    if (o instanceof RenderedImage img) {
      bundle.put("image/png", Base64.getEncoder().encodeToString(Pictures.png(img)));
      bundle.put(
          "text/plain",
          "<"
              + img.getClass().getSimpleName()
              + " "
              + img.getWidth()
              + "x"
              + img.getHeight()
              + ">");
    } else {
      bundle.put("text/plain", String.valueOf(o));
    }
    Consumer<Map<String, String>> s = sink;
    if (s == null) {
      throw new IllegalStateException("display() called outside a notebook run");
    }
    s.accept(bundle);
    return UUID.randomUUID().toString();
  }
}
