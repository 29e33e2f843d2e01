package org.mmmamba.core.text;

import org.mmmamba.core.BadInputException;

/**
 * The {@code <image>} placeholder of LLaVA-style data and its expansion into HoVLE's image tokens:
 * {@code <img>} + {@code tokensPerTile * numTiles} x {@code <IMG_CONTEXT>} + {@code </img>}
 * (docs/method.md §6).
 */
public final class ImagePlaceholders {
  /** The placeholder written in dataset text. */
  public static final String IMAGE = "<image>";

  /** Opens an image's token run. */
  public static final String IMG_START = "<img>";

  /** Closes an image's token run. */
  public static final String IMG_END = "</img>";

  /** One image token; its embedding is replaced by a projected patch token. */
  public static final String IMG_CONTEXT = "<IMG_CONTEXT>";

  private ImagePlaceholders() {}

  /**
   * Counts placeholders.
   *
   * @param text any text
   * @return how many times {@code <image>} occurs
   */
  public static int count(String text) {
    int n = 0;
    for (int i = text.indexOf(IMAGE); i >= 0; i = text.indexOf(IMAGE, i + IMAGE.length())) {
      n++;
    }
    return n;
  }

  /**
   * Expands the placeholder of one image (or checks there is none).
   *
   * @param text text with exactly one {@code <image>} when {@code numTiles > 0}, none when 0
   * @param tokensPerTile image tokens per tile (HoVLE: 256)
   * @param numTiles tiles of the image, thumbnail included; 0 means no image
   * @return the expanded text
   * @throws BadInputException if the placeholder count does not match
   */
  public static String expand(String text, int tokensPerTile, int numTiles) {
    return expand(text, tokensPerTile, numTiles == 0 ? new int[0] : new int[] {numTiles});
  }

  /**
   * Expands the placeholders of several images, in order.
   *
   * @param text text with one {@code <image>} per image
   * @param tokensPerTile image tokens per tile
   * @param tilesPerImage tiles of each image, in the order the placeholders appear
   * @return the expanded text
   * @throws BadInputException if the placeholder count does not match the number of images
   */
  public static String expand(String text, int tokensPerTile, int[] tilesPerImage) {
    int n = count(text);
    if (n != tilesPerImage.length) {
      throw new BadInputException(
          "text has "
              + n
              + " "
              + IMAGE
              + " placeholder(s) but "
              + tilesPerImage.length
              + " image(s) were given");
    }
    StringBuilder sb = new StringBuilder();
    int from = 0;
    for (int tiles : tilesPerImage) {
      if (tiles < 1 || tokensPerTile < 1) {
        throw new IllegalArgumentException("tiles and tokensPerTile must be positive");
      }
      int at = text.indexOf(IMAGE, from);
      sb.append(text, from, at).append(IMG_START);
      sb.append(IMG_CONTEXT.repeat(tokensPerTile * tiles));
      sb.append(IMG_END);
      from = at + IMAGE.length();
    }
    return sb.append(text, from, text.length()).toString();
  }
}
