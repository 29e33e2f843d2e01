package org.mmmamba.distill.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.text.Encoded;
import org.mmmamba.core.vision.PreprocessedImage;

class CollatorTest {

  @Test
  void padsRightAndConcatenatesTilesInBatchOrder() {
    boolean t = true;
    boolean f = false;
    EncodedSample a =
        new EncodedSample(
            "a",
            new Encoded(new long[] {5, 6, 7}, new boolean[] {f, t, t}, new int[] {1}),
            new PreprocessedImage(new float[] {1, 1, 1, 2, 2, 2}, 2, 1),
            null);
    EncodedSample b =
        new EncodedSample(
            "b",
            new Encoded(new long[] {8, 9, 10, 11, 12}, new boolean[] {f, f, f, t, t}, new int[0]),
            null,
            "color");
    EncodedSample c =
        new EncodedSample(
            "c",
            new Encoded(new long[] {13}, new boolean[] {f}, new int[] {0}),
            new PreprocessedImage(new float[] {3, 3, 3}, 1, 1),
            null);
    Batch batch = new Collator(0).collate(List.of(a, b, c));
    assertEquals(3, batch.batchSize());
    assertEquals(5, batch.seqLen());
    assertArrayEquals(
        new long[] {5, 6, 7, 0, 0, 8, 9, 10, 11, 12, 13, 0, 0, 0, 0}, batch.inputIds());
    assertArrayEquals(
        new boolean[] {t, t, t, f, f, t, t, t, t, t, t, f, f, f, f}, batch.attentionMask());
    assertArrayEquals(
        new boolean[] {f, t, t, f, f, f, f, f, t, t, f, f, f, f, f}, batch.labelMask());
    assertArrayEquals(new int[] {3, 5, 1}, batch.lengths());
    assertArrayEquals(new int[] {2, 0, 1}, batch.tilesPerSample());
    assertEquals(3, batch.totalTiles());
    assertEquals(1, batch.tileSize());
    assertArrayEquals(new float[] {1, 1, 1, 2, 2, 2, 3, 3, 3}, batch.pixelValues());
    assertArrayEquals(new int[] {1}, batch.imageContextPositions()[0]);
    assertArrayEquals(new String[] {"a", "b", "c"}, batch.ids());
    assertEquals(11, batch.inputId(1, 3));
  }

  @Test
  void customPadIdAndNoImages() {
    EncodedSample a =
        new EncodedSample(
            "a", new Encoded(new long[] {1}, new boolean[] {true}, new int[0]), null, null);
    EncodedSample b =
        new EncodedSample(
            "b",
            new Encoded(new long[] {1, 2}, new boolean[] {false, true}, new int[0]),
            null,
            null);
    Batch batch = new Collator(99).collate(List.of(a, b));
    assertArrayEquals(new long[] {1, 99, 1, 2}, batch.inputIds());
    assertEquals(0, batch.pixelValues().length);
    assertEquals(0, batch.tileSize());
  }

  @Test
  void emptyBatchIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> new Collator(0).collate(List.of()));
  }
}
