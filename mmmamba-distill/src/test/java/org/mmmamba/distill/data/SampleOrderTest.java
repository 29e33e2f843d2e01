package org.mmmamba.distill.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.BitSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class SampleOrderTest {

  @Test
  void shuffleIsDeterministicAndAPermutation() {
    int[] a = SampleOrder.shuffled(1000, 7).toArray();
    assertArrayEquals(a, SampleOrder.shuffled(1000, 7).toArray());
    assertFalse(Arrays.equals(a, SampleOrder.shuffled(1000, 8).toArray()));
    assertFalse(Arrays.equals(a, SampleOrder.sequential(1000).toArray()));
    int[] sorted = a.clone();
    Arrays.sort(sorted);
    assertArrayEquals(SampleOrder.sequential(1000).toArray(), sorted);
  }

  @Test
  void shuffleIsPinned() {
    // pins the algorithm: changing it silently would change every run's data order
    assertArrayEquals(
        new int[] {2, 9, 0, 7, 6, 1, 5, 3, 4, 8}, SampleOrder.shuffled(10, 0).toArray());
  }

  @Test
  void shardsByHand() {
    SampleOrder o = SampleOrder.sequential(7);
    assertArrayEquals(new int[] {0, 3, 6}, o.shard(0, 3).toArray());
    assertArrayEquals(new int[] {1, 4}, o.shard(1, 3).toArray());
    assertArrayEquals(new int[] {2, 5}, o.shard(2, 3).toArray());
    assertEquals(0, SampleOrder.sequential(2).shard(3, 4).size());
  }

  @Property(tries = 200)
  void shardsAreDisjointAndCover(
      @ForAll @IntRange(min = 0, max = 300) int n,
      @ForAll @IntRange(min = 1, max = 9) int shards,
      @ForAll long seed) {
    SampleOrder o = SampleOrder.shuffled(n, seed);
    BitSet seen = new BitSet(n);
    int min = Integer.MAX_VALUE;
    int max = 0;
    for (int k = 0; k < shards; k++) {
      SampleOrder s = o.shard(k, shards);
      min = Math.min(min, s.size());
      max = Math.max(max, s.size());
      for (int i : s.toArray()) {
        assertFalse(seen.get(i), "index " + i + " in two shards");
        seen.set(i);
      }
    }
    assertEquals(n, seen.cardinality());
    assertTrue(max - min <= 1);
  }
}
