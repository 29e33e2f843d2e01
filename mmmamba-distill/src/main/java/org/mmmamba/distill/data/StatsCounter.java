package org.mmmamba.distill.data;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Thread-safe running counts behind a {@link DatasetStats} snapshot. {@code ok} counts samples that
 * passed every stage so far; a later stage that rejects one moves it with {@link #okToBroken} or
 * {@link #okToTooLong}.
 */
public final class StatsCounter {
  private final AtomicLong ok = new AtomicLong();
  private final AtomicLong tooLong = new AtomicLong();
  private final EnumMap<BrokenReason, AtomicLong> broken = new EnumMap<>(BrokenReason.class);

  /** Creates zeroed counters. */
  public StatsCounter() {
    for (BrokenReason r : BrokenReason.values()) {
      broken.put(r, new AtomicLong());
    }
  }

  /** Counts one usable sample. */
  public void ok() {
    ok.incrementAndGet();
  }

  /**
   * Moves one sample counted {@link #ok()} by an earlier stage (e.g. reading) to a broken reason,
   * because a later stage (e.g. image decoding) rejected it.
   *
   * @param reason why it is broken
   */
  public void okToBroken(BrokenReason reason) {
    ok.decrementAndGet();
    broken(reason);
  }

  /** Moves one sample counted {@link #ok()} by an earlier stage to the length filter's count. */
  public void okToTooLong() {
    ok.decrementAndGet();
    tooLong();
  }

  /**
   * Counts one broken sample.
   *
   * @param reason why it is broken
   */
  public void broken(BrokenReason reason) {
    broken.get(reason).incrementAndGet();
  }

  /** Counts one sample dropped by the length filter. */
  public void tooLong() {
    tooLong.incrementAndGet();
  }

  /**
   * @return the counts now
   */
  public DatasetStats snapshot() {
    Map<BrokenReason, Long> m = new EnumMap<>(BrokenReason.class);
    broken.forEach((k, v) -> m.put(k, v.get()));
    return new DatasetStats(ok.get(), m, tooLong.get());
  }
}
