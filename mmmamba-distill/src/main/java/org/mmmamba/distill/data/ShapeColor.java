package org.mmmamba.distill.data;

import java.util.Locale;

/** The colours of the synthetic {@link ShapesTask}, with the exact 8-bit RGB values drawn. */
public enum ShapeColor {
  /** Pure red. */
  RED(0xff0000),
  /** Green. */
  GREEN(0x00c800),
  /** Blue, lightened so it stands out from the dark background. */
  BLUE(0x2850ff),
  /** Yellow. */
  YELLOW(0xffdc00);

  private final int rgb;

  ShapeColor(int rgb) {
    this.rgb = rgb;
  }

  /**
   * @return the colour as {@code 0xRRGGBB}
   */
  public int rgb() {
    return rgb;
  }

  /**
   * @return the word used in questions and answers, e.g. {@code red}
   */
  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }
}
