package org.mmmamba.distill.data;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.mmmamba.core.BadInputException;

/**
 * An endless, deterministic stream of batches over a {@link SampleSource}: epoch e visits the
 * samples in {@code SampleOrder.shuffled(n, seed + e)} (optionally one shard of it), skipping
 * filtered ones. The position is a single {@code cursor} (samples consumed), so a resumed run
 * continues exactly where it stopped.
 *
 * <p>With {@link #readAhead} the next batches are prepared on background threads while the caller
 * trains on the current one (image decoding, tiling and tokenising are host work that would
 * otherwise sit between two GPU steps). The batches, their order and {@link #cursor()} are exactly
 * those of the synchronous stream; only the source's running counts ({@link SampleSource#stats()})
 * may include the samples read ahead. {@link #close()} stops the background threads; the stream
 * stays usable (the next {@link #next()} starts them again at the cursor).
 */
public final class BatchStream implements AutoCloseable {
  private final SampleSource source;
  private final int batchSize;
  private final long seed;
  private final Collator collator;
  private final int shardIndex;
  private final int shardCount;
  private long cursor;
  private final Reader reader = new Reader(null, 1);
  private int aheadBatches;
  private int workers = 1;
  private BatchReadAhead ahead;

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

  /**
   * Prepares up to {@code batches} batches ahead of the caller on a background thread, reading
   * their samples with {@code workers} threads at once ({@code workers} > 1 needs a source whose
   * {@link SampleSource#get} may be called concurrently, as the LLaVA and synthetic ones). {@code
   * batches} = 0 turns read-ahead off.
   *
   * @return this stream
   * @throws IllegalArgumentException if {@code batches} &lt; 0 or {@code workers} &lt; 1
   */
  public BatchStream readAhead(int batches, int workers) {
    if (batches < 0) {
      throw new IllegalArgumentException("read-ahead batches must be >= 0, got " + batches);
    }
    if (workers < 1) {
      throw new IllegalArgumentException("data workers must be >= 1, got " + workers);
    }
    close();
    this.aheadBatches = batches;
    this.workers = workers;
    return this;
  }

  /** Samples consumed so far (filtered ones included). */
  public long cursor() {
    return cursor;
  }

  /** Moves to a position returned earlier by {@link #cursor()}. */
  public void seek(long position) {
    close(); // batches read ahead from the old position are dropped
    this.cursor = position;
  }

  /** The next batch of up to {@code batchSize} usable samples. */
  public Batch next() {
    if (aheadBatches > 0) {
      if (ahead == null) {
        ahead = new BatchReadAhead(Reader::new, source.name(), cursor, aheadBatches, workers);
      }
      BatchReadAhead.Item item = ahead.take();
      cursor = item.cursorAfter();
      return item.batch();
    }
    reader.position = cursor;
    Batch b = reader.next();
    cursor = reader.position;
    return b;
  }

  /** Stops the read-ahead threads, if any (the cursor stays at the last batch returned). */
  @Override
  public void close() {
    if (ahead != null) {
      BatchReadAhead a = ahead;
      ahead = null;
      a.close();
    }
  }

  /** Samples per epoch in this shard: positions k, k+n, k+2n, ... of an order of length N. */
  private long epochSize() {
    long n = source.size();
    return shardCount == 1 ? n : Math.max(0, (n - shardIndex + shardCount - 1) / shardCount);
  }

  /**
   * Reads batches from {@link #position} on: the synchronous path and the read-ahead thread each
   * have one (the epoch's order is cached per reader, so no state is shared between threads).
   */
  final class Reader {
    private final ExecutorService pool;
    private final int window;
    private final ArrayDeque<Future<Optional<EncodedSample>>> pending = new ArrayDeque<>();
    private long pendingFrom;
    long position;
    private SampleOrder order;
    private long orderEpoch = -1;

    private Reader(ExecutorService pool, int workers) {
      this.pool = pool;
      this.window = batchSize + 2 * workers; // samples in flight: a batch and two per worker
    }

    /** The next batch from {@link #position}; advances it past the samples used or skipped. */
    Batch next() {
      List<EncodedSample> picked = new ArrayList<>(batchSize);
      int misses = 0;
      while (picked.size() < batchSize) {
        Optional<EncodedSample> s = sampleAt(position++);
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

    /** Sets the position at which the next batch starts. */
    void seek(long p) {
      cancelPending();
      position = p;
    }

    private Optional<EncodedSample> sampleAt(long pos) {
      if (pool == null) {
        return source.get(indexAt(pos));
      }
      if (pending.isEmpty() || pendingFrom != pos) {
        cancelPending();
        pendingFrom = pos;
      }
      // Keep the workers busy with the next samples in order (the index is computed here, on
      // the reader's thread; the pool only calls source.get).
      while (pending.size() < window) {
        int index = indexAt(pendingFrom + pending.size());
        pending.addLast(pool.submit(() -> source.get(index)));
      }
      Future<Optional<EncodedSample>> f = pending.pollFirst();
      pendingFrom++;
      try {
        return f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while reading " + source.name(), e);
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof RuntimeException r) {
          throw r;
        }
        if (c instanceof Error err) {
          throw err;
        }
        throw new IllegalStateException(source.name() + ": " + c, c);
      }
    }

    private void cancelPending() {
      for (Future<?> f : pending) {
        f.cancel(true);
      }
      pending.clear();
    }

    private int indexAt(long pos) {
      long size = Math.max(1, epochSize());
      long epoch = pos / size;
      if (order == null || epoch != orderEpoch) {
        SampleOrder o = SampleOrder.shuffled(source.size(), seed + epoch);
        order = shardCount > 1 ? o.shard(shardIndex, shardCount) : o;
        orderEpoch = epoch;
      }
      return order.get((int) (pos % size));
    }
  }
}
