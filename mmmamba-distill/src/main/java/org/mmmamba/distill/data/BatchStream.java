package org.mmmamba.distill.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.mmmamba.core.BadInputException;

/**
 * An endless, deterministic stream of batches over a {@link SampleSource}: epoch e visits the
 * samples in {@code SampleOrder.shuffled(n, seed + e)} (optionally one shard of it), skipping
 * filtered ones. The position is a single {@code cursor} (samples consumed), so a resumed run
 * continues exactly where it stopped.
 */
public final class BatchStream {
  private final SampleSource source;
  private final int batchSize;
  private final long seed;
  private final Collator collator;
  private final int shardIndex;
  private final int shardCount;
  private long cursor;
  private SampleOrder order;
  private long orderEpoch = -1;

  /** A stream over all samples. */
  public BatchStream(SampleSource source, int batchSize, long seed, Collator collator) {
    this(source, batchSize, seed, collator, 0, 1);
  }

  /** A stream over shard {@code k} of {@code n} of every epoch's order. */
  public BatchStream(
      SampleSource source, int batchSize, long seed, Collator collator, int k, int n) {
    this.source = source;
    this.batchSize = batchSize;
    this.seed = seed;
    this.collator = collator;
    this.shardIndex = k;
    this.shardCount = n;
  }

  /** Samples consumed so far (filtered ones included). */
  public long cursor() {
    return cursor;
  }

  /** Moves to a position returned earlier by {@link #cursor()}. */
  public void seek(long position) {
    this.cursor = position;
  }

  /** The next batch of up to {@code batchSize} usable samples. */
  public Batch next() {
    List<EncodedSample> picked = new ArrayList<>(batchSize);
    int misses = 0;
    while (picked.size() < batchSize) {
      Optional<EncodedSample> s = sampleAt(cursor++);
      if (s.isPresent()) {
        picked.add(s.get());
        misses = 0;
      } else if (++misses > Math.max(1000, 2L * epochSize())) {
        throw new BadInputException(
            source.name() + ": no usable samples (all filtered or broken): " + source.stats());
      }
    }
    return collator.collate(picked);
  }

  /** Samples per epoch in this shard: positions k, k+n, k+2n, ... of an order of length N. */
  private long epochSize() {
    long n = source.size();
    return shardCount == 1 ? n : Math.max(0, (n - shardIndex + shardCount - 1) / shardCount);
  }

  private Optional<EncodedSample> sampleAt(long pos) {
    long size = Math.max(1, epochSize());
    long epoch = pos / size;
    SampleOrder o = currentOrder(epoch);
    return source.get(o.get((int) (pos % size)));
  }

  private SampleOrder currentOrder(long epoch) {
    if (order == null || epoch != orderEpoch) {
      SampleOrder o = SampleOrder.shuffled(source.size(), seed + epoch);
      order = shardCount > 1 ? o.shard(shardIndex, shardCount) : o;
      orderEpoch = epoch;
    }
    return order;
  }
}
