package org.mmmamba.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mmmamba.core.BadInputException;

/**
 * Hybrid layouts: the paper's indices, properties for any n and k, the text form and bad layouts.
 */
class HybridLayoutTest {

  private static List<Integer> range(int from, int to, int step) {
    return IntStream.iterate(from, i -> i < to, i -> i + step).boxed().collect(Collectors.toList());
  }

  @Test
  void theFourStrategiesWithEightOfThirtyTwoLayers() {
    assertEquals(
        List.of(0, 4, 8, 12, 16, 20, 24, 28),
        HybridLayout.parse("head-interleaved:8").attentionLayers(32));
    assertEquals(
        List.of(3, 7, 11, 15, 19, 23, 27, 31),
        HybridLayout.parse("tail-interleaved:8").attentionLayers(32));
    assertEquals(range(0, 8, 1), HybridLayout.parse("head-stacked:8").attentionLayers(32));
    assertEquals(range(24, 32, 1), HybridLayout.parse("tail-stacked:8").attentionLayers(32));
    assertEquals(List.of(), HybridLayout.parse("linear").attentionLayers(32));
    assertEquals(List.of(0, 4, 8), HybridLayout.parse("explicit:0,4,8").attentionLayers(32));
    assertEquals(List.of(0, 4, 8), HybridLayout.parse("[8, 0, 4]").attentionLayers(32));
  }

  @Test
  void fairSpreadWhenTheCountDoesNotDivideTheLayers() {
    // n = 10, k = 4: groups [0,2) [2,5) [5,7) [7,10)
    assertEquals(
        List.of(0, 2, 5, 7),
        HybridLayout.of(HybridLayout.Strategy.HEAD_INTERLEAVED, 4).attentionLayers(10));
    assertEquals(
        List.of(1, 4, 6, 9),
        HybridLayout.of(HybridLayout.Strategy.TAIL_INTERLEAVED, 4).attentionLayers(10));
    assertEquals(List.of(0), HybridLayout.parse("head-interleaved:1").attentionLayers(7));
    assertEquals(List.of(6), HybridLayout.parse("tail-interleaved:1").attentionLayers(7));
  }

  @Test
  void kindsMarkTheAttentionLayers() {
    assertEquals(
        List.of(LayerKind.ATTENTION, LayerKind.MAMBA2, LayerKind.ATTENTION, LayerKind.MAMBA2),
        HybridLayout.parse("head-interleaved:2").kinds(4));
    assertEquals(Collections.nCopies(5, LayerKind.MAMBA2), HybridLayout.linear().kinds(5));
  }

  @Test
  void textFormRoundTripsAndIsLenient() {
    for (String s :
        new String[] {
          "linear",
          "head-interleaved:8",
          "tail-interleaved:3",
          "head-stacked:1",
          "tail-stacked:4",
          "explicit:0,4,8"
        }) {
      HybridLayout l = HybridLayout.parse(s);
      assertEquals(s, l.toString());
      assertEquals(l, HybridLayout.parse(l.toString()));
    }
    assertEquals(
        HybridLayout.parse("head-interleaved:8"), HybridLayout.parse(" HEAD_INTERLEAVED : 8 "));
    assertEquals(HybridLayout.linear(), HybridLayout.parse("head-stacked:0"));
    assertEquals(HybridLayout.linear(), HybridLayout.parse("[]"));
    assertEquals(HybridLayout.linear(), HybridLayout.parse("explicit:"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "explicit:0,32",
        "[1,1]",
        "head-interleaved:33",
        "tail-stacked:-1",
        "[-1]",
        "middle:4",
        "head-interleaved",
        "head-interleaved:x",
        "linear:3",
        "[0,4",
        "explicit:0,a",
        ""
      })
  void badLayoutsNameTheLayout(String text) {
    BadInputException e =
        assertThrows(BadInputException.class, () -> HybridLayout.parse(text).attentionLayers(32));
    assertTrue(e.getMessage().startsWith("layout '" + text + "'"), e.getMessage());
  }

  @Test
  void outOfRangeAndTooManyAreErrorsForTheGivenModel() {
    HybridLayout l = HybridLayout.parse("explicit:0,4,8");
    assertEquals(List.of(0, 4, 8), l.attentionLayers(9));
    BadInputException e = assertThrows(BadInputException.class, () -> l.attentionLayers(8));
    assertTrue(
        e.getMessage().contains("explicit:0,4,8") && e.getMessage().contains("8"), e.getMessage());
    e =
        assertThrows(
            BadInputException.class, () -> HybridLayout.parse("head-stacked:5").attentionLayers(4));
    assertTrue(e.getMessage().contains("head-stacked:5"), e.getMessage());
  }

  @Provide
  Arbitrary<HybridLayout.Strategy> named() {
    return Arbitraries.of(
        HybridLayout.Strategy.HEAD_INTERLEAVED,
        HybridLayout.Strategy.TAIL_INTERLEAVED,
        HybridLayout.Strategy.HEAD_STACKED,
        HybridLayout.Strategy.TAIL_STACKED);
  }

  @Property(tries = 300)
  void exactlyKDistinctInRangeIndices(
      @ForAll("named") HybridLayout.Strategy s,
      @ForAll @IntRange(min = 1, max = 80) int n,
      @ForAll @IntRange(min = 0, max = 80) int k) {
    if (k > n) {
      assertThrows(BadInputException.class, () -> HybridLayout.of(s, k).attentionLayers(n));
      return;
    }
    List<Integer> idx = HybridLayout.of(s, k).attentionLayers(n);
    assertEquals(k, idx.size());
    assertEquals(k, new HashSet<>(idx).size());
    for (int j = 0; j < k; j++) {
      assertTrue(idx.get(j) >= 0 && idx.get(j) < n);
      assertTrue(j == 0 || idx.get(j) > idx.get(j - 1), "ascending");
    }
    List<LayerKind> kinds = HybridLayout.of(s, k).kinds(n);
    assertEquals(n, kinds.size());
    assertEquals(k, Collections.frequency(kinds, LayerKind.ATTENTION));
    if (k == 0) {
      assertTrue(HybridLayout.of(s, k).isLinear());
      assertEquals(Collections.nCopies(n, LayerKind.MAMBA2), kinds);
    }
    if (k == n) {
      assertEquals(Collections.nCopies(n, LayerKind.ATTENTION), kinds);
    }
  }

  @Property(tries = 200)
  void interleavedGroupsDifferByAtMostOne(
      @ForAll @IntRange(min = 1, max = 80) int n, @ForAll @IntRange(min = 1, max = 80) int k) {
    if (k > n) {
      return;
    }
    List<Integer> head =
        HybridLayout.of(HybridLayout.Strategy.HEAD_INTERLEAVED, k).attentionLayers(n);
    List<Integer> tail =
        HybridLayout.of(HybridLayout.Strategy.TAIL_INTERLEAVED, k).attentionLayers(n);
    assertEquals(0, head.get(0));
    assertEquals(n - 1, tail.get(k - 1));
    int min = Integer.MAX_VALUE;
    int max = 0;
    for (int j = 0; j < k; j++) {
      int size = tail.get(j) - head.get(j) + 1; // group j = [head_j, tail_j]
      assertTrue(j == k - 1 || tail.get(j) + 1 == head.get(j + 1), "groups tile the layers");
      min = Math.min(min, size);
      max = Math.max(max, size);
    }
    assertTrue(max - min <= 1, "group sizes " + min + ".." + max);
    if (n % k == 0) {
      assertEquals(min, max);
    }
  }
}
