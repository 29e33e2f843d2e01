package org.mmmamba.distill.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.text.Encoded;

/**
 * {@link BatchStream} with read-ahead against its synchronous twin: the same batches in the same
 * order with the same cursors, over epochs, filtered samples, shards and seeks; the reader's
 * exception at the same batch; threads stopped by {@code close}.
 */
class BatchStreamTest {
  /**
   * n samples; sample i has 1 + i % 5 tokens (i, i+1, ...); every 7th from 3 on is filtered; get of
   * {@code failAt} throws; each get waits {@code delayMs} (to let readers overlap).
   */
  static final class FakeSource implements SampleSource {
    final int n;
    final int failAt;
    final long delayMs;
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    final AtomicInteger gets = new AtomicInteger();

    FakeSource(int n, int failAt, long delayMs) {
      this.n = n;
      this.failAt = failAt;
      this.delayMs = delayMs;
    }

    @Override
    public int size() {
      return n;
    }

    @Override
    public Optional<EncodedSample> get(int i) {
      gets.incrementAndGet();
      int now = inFlight.incrementAndGet();
      maxInFlight.accumulateAndGet(now, Math::max);
      try {
        if (delayMs > 0) {
          Thread.sleep(delayMs);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        inFlight.decrementAndGet();
      }
      if (i == failAt) {
        throw new BadInputException("fake.jsonl: sample " + i + " is broken");
      }
      if (i % 7 == 3) {
        return Optional.empty();
      }
      int len = 1 + i % 5;
      long[] ids = new long[len];
      boolean[] labels = new boolean[len];
      for (int t = 0; t < len; t++) {
        ids[t] = i + t;
        labels[t] = t == len - 1;
      }
      return Optional.of(
          new EncodedSample("s" + i, new Encoded(ids, labels, new int[0]), null, null));
    }

    @Override
    public DatasetStats stats() {
      return new StatsCounter().snapshot();
    }

    @Override
    public String name() {
      return "fake.jsonl";
    }
  }

  private static BatchStream stream(SampleSource src, int batch, int k, int shards) {
    return new BatchStream(src, batch, 11, new Collator(0), k, shards);
  }

  /** Batches as comparable strings (ids, tokens, masks) with the cursor after each. */
  private static List<String> take(BatchStream s, int count) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Batch b = s.next();
      out.add(
          String.join(",", b.ids())
              + " "
              + java.util.Arrays.toString(b.inputIds())
              + " "
              + java.util.Arrays.toString(b.attentionMask())
              + " "
              + java.util.Arrays.toString(b.labelMask())
              + " @"
              + s.cursor());
    }
    return out;
  }

  @Test
  void readAheadGivesTheSynchronousBatchesAndCursors() {
    for (int[] c : new int[][] {{1, 1}, {3, 1}, {2, 3}, {1, 4}}) {
      for (int[] shard : new int[][] {{0, 1}, {1, 3}}) {
        List<String> sync = take(stream(new FakeSource(23, -1, 0), 4, shard[0], shard[1]), 30);
        try (BatchStream ahead =
            stream(new FakeSource(23, -1, 0), 4, shard[0], shard[1]).readAhead(c[0], c[1])) {
          assertEquals(sync, take(ahead, 30), "read-ahead " + c[0] + ", workers " + c[1]);
        }
      }
    }
  }

  @Test
  void seekAndCloseRestartAtTheCursor() {
    BatchStream sync = stream(new FakeSource(23, -1, 0), 3, 0, 1);
    List<String> first = take(sync, 5);
    long mark = sync.cursor();
    List<String> rest = take(sync, 12);
    try (BatchStream ahead = stream(new FakeSource(23, -1, 0), 3, 0, 1).readAhead(2, 2)) {
      assertEquals(first, take(ahead, 5));
      take(ahead, 7); // read past the mark, with batches queued beyond
      ahead.seek(mark);
      assertEquals(rest.subList(0, 4), take(ahead, 4));
      ahead.close(); // stops the threads; the stream goes on from its cursor
      assertFalse(readAheadThreadAlive(), "read-ahead thread still running after close");
      assertEquals(rest.subList(4, 12), take(ahead, 8));
    }
    assertFalse(readAheadThreadAlive(), "read-ahead thread still running after close");
  }

  @Test
  void theReadersExceptionArrivesAtItsBatchAndStays() {
    // Which batch holds sample 9 in the synchronous stream (one sample per batch: the failing one)
    BatchStream sync = stream(new FakeSource(23, 9, 0), 1, 0, 1);
    List<String> before = new ArrayList<>();
    BadInputException expected = null;
    for (int i = 0; i < 40 && expected == null; i++) {
      try {
        before.addAll(take(sync, 1));
      } catch (BadInputException e) {
        expected = e;
      }
    }
    assertTrue(expected != null, "the synchronous stream never reached sample 9");
    for (int workers : new int[] {1, 3}) {
      try (BatchStream ahead = stream(new FakeSource(23, 9, 0), 1, 0, 1).readAhead(2, workers)) {
        assertEquals(before, take(ahead, before.size()));
        long cursor = ahead.cursor();
        BadInputException e = assertThrows(BadInputException.class, ahead::next);
        assertEquals(expected.getMessage(), e.getMessage());
        BadInputException again = assertThrows(BadInputException.class, ahead::next);
        assertSame(e, again);
        assertEquals(cursor, ahead.cursor(), "the cursor moved past a failed batch");
      }
    }
  }

  @Test
  void severalWorkersReadSamplesAtOnceAndOneDoesNot() {
    FakeSource many = new FakeSource(23, -1, 20);
    long cursor;
    try (BatchStream s = stream(many, 4, 0, 1).readAhead(2, 4)) {
      take(s, 6);
      cursor = s.cursor();
    }
    assertTrue(many.maxInFlight.get() > 1, "max samples read at once: " + many.maxInFlight.get());
    // Each sample is read once: beyond the cursor at most the queued and the current batch (two
    // positions per usable sample at most) and the samples in flight (a batch and two per worker).
    assertTrue(
        many.gets.get() <= cursor + 3 * 8 + (4 + 2 * 4),
        many.gets.get() + " reads for a cursor of " + cursor);
    FakeSource one = new FakeSource(23, -1, 5);
    try (BatchStream s = stream(one, 4, 0, 1).readAhead(3, 1)) {
      take(s, 6);
    }
    assertEquals(1, one.maxInFlight.get());
  }

  @Test
  void badSettingsAreRefused() {
    BatchStream s = stream(new FakeSource(5, -1, 0), 1, 0, 1);
    assertThrows(IllegalArgumentException.class, () -> s.readAhead(-1, 1));
    assertThrows(IllegalArgumentException.class, () -> s.readAhead(1, 0));
  }

  @Test
  void noThreadWithoutReadAhead() {
    try (BatchStream s = stream(new FakeSource(23, -1, 0), 2, 0, 1)) {
      take(s, 3);
      assertFalse(readAheadThreadAlive());
    }
  }

  private static boolean readAheadThreadAlive() {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.isAlive() && t.getName().startsWith("mmmamba-read-ahead"));
  }

  @Test
  void theFakeFiltersAndPads() {
    // What the comparisons above compare: padded batches, and filtered samples skipped (the
    // cursor counts them: 8 batches of 4 usable samples need more than 32 positions).
    BatchStream s = stream(new FakeSource(23, -1, 0), 4, 0, 1);
    List<String> b = take(s, 8);
    assertTrue(b.stream().anyMatch(x -> x.contains("false")), "no padding in any batch: " + b);
    assertTrue(s.cursor() > 32, "cursor " + s.cursor());
    for (String x : b) {
      for (String id : x.substring(0, x.indexOf(' ')).split(",")) {
        assertFalse(Integer.parseInt(id.substring(1)) % 7 == 3, "filtered sample " + id + " used");
      }
    }
  }
}
