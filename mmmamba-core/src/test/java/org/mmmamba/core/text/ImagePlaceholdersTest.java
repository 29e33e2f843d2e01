package org.mmmamba.core.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.mmmamba.core.BadInputException;

class ImagePlaceholdersTest {

  @Test
  void expandsOneImage() {
    assertEquals(
        "<img><IMG_CONTEXT><IMG_CONTEXT><IMG_CONTEXT><IMG_CONTEXT><IMG_CONTEXT><IMG_CONTEXT></img>\nq",
        ImagePlaceholders.expand("<image>\nq", 2, 3));
  }

  @Test
  void expandsSeveralImagesInOrder() {
    assertEquals(
        "a<img><IMG_CONTEXT></img>b<img><IMG_CONTEXT><IMG_CONTEXT></img>c",
        ImagePlaceholders.expand("a<image>b<image>c", 1, new int[] {1, 2}));
  }

  @Test
  void noImageNoPlaceholderIsUnchanged() {
    assertEquals("just text", ImagePlaceholders.expand("just text", 256, 0));
  }

  @Test
  void countMismatchIsBadInput() {
    BadInputException e =
        assertThrows(BadInputException.class, () -> ImagePlaceholders.expand("q", 4, 1));
    assertTrue(e.getMessage().contains("0 <image>"), e.getMessage());
    assertThrows(BadInputException.class, () -> ImagePlaceholders.expand("<image><image>", 4, 1));
    assertThrows(BadInputException.class, () -> ImagePlaceholders.expand("<image>", 4, 0));
  }

  @Test
  void counts() {
    assertEquals(0, ImagePlaceholders.count(""));
    assertEquals(2, ImagePlaceholders.count("<image><image>x"));
  }
}
