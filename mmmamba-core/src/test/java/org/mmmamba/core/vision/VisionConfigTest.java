package org.mmmamba.core.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.mmmamba.core.BadInputException;

class VisionConfigTest {

  @Test
  void defaultsMatchHoVLE() {
    VisionConfig c = VisionConfig.defaults().validate();
    assertEquals(448, c.imageSize());
    assertEquals(14, c.patchSize());
    assertEquals(32, c.patchesPerSide());
    assertEquals(256, c.tokensPerTile());
    assertEquals(12, c.maxTiles());
    assertEquals(0.485f, c.mean()[0]);
  }

  @Test
  void tinySizes() {
    VisionConfig c = VisionConfig.defaults().withSizes(28, 7).validate();
    assertEquals(4, c.tokensPerTile());
  }

  @Test
  void validateNamesTheBadField() {
    assertMessage(VisionConfig.defaults().withSizes(448, 15), "patchSize");
    assertMessage(VisionConfig.defaults().withSizes(28, 4), "patchSize"); // 7 patches: odd
    assertMessage(VisionConfig.defaults().withTiling(0, 4, true), "minTiles");
    assertMessage(VisionConfig.defaults().withTiling(3, 2, true), "maxTiles");
    assertMessage(
        new VisionConfig(448, 14, 1, 12, true, new float[] {0, 0}, VisionConfig.IMAGENET_STD, 0.5),
        "mean");
    assertMessage(
        new VisionConfig(
            448, 14, 1, 12, true, VisionConfig.IMAGENET_MEAN, new float[] {1, 0, 1}, 0.5),
        "std");
    assertMessage(
        new VisionConfig(
            448, 14, 1, 12, true, VisionConfig.IMAGENET_MEAN, VisionConfig.IMAGENET_STD, 0.25),
        "downsampleRatio");
  }

  @Test
  void arraysAreDefensivelyCopied() {
    float[] mean = {0.5f, 0.5f, 0.5f};
    VisionConfig c = new VisionConfig(28, 7, 1, 1, false, mean, mean, 0.5);
    mean[0] = 9f;
    assertEquals(0.5f, c.mean()[0]);
    c.mean()[1] = 9f;
    assertEquals(0.5f, c.mean()[1]);
    assertEquals(
        c,
        new VisionConfig(
            28,
            7,
            1,
            1,
            false,
            new float[] {0.5f, 0.5f, 0.5f},
            new float[] {0.5f, 0.5f, 0.5f},
            0.5));
  }

  private static void assertMessage(VisionConfig c, String field) {
    BadInputException e = assertThrows(BadInputException.class, c::validate);
    assertTrue(e.getMessage().contains(field), e.getMessage());
  }
}
