package org.mmmamba.distill.data;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * The batches of a {@link BatchStream} prepared ahead of its caller ({@link
 * BatchStream#readAhead}): one thread reads batch after batch from a cursor into a queue of at most
 * {@code batches}, its samples read by {@code workers} threads when more than one. Each batch
 * travels with the cursor after it, so the caller's cursor is the one of the synchronous stream. An
 * exception of the reader reaches the caller at the batch where the synchronous stream would have
 * thrown it (the batches before it are delivered first), and again at every later call.
 *
 * <p>No DJL array is made on these threads: a batch is host data ({@link Batch}).
 */
final class BatchReadAhead implements AutoCloseable {
  /** A batch and the cursor after it, or the reader's exception. */
  record Item(Batch batch, long cursorAfter, Throwable error) {}

  private final ArrayBlockingQueue<Item> queue;
  private final ExecutorService pool;
  private final Thread thread;
  private final String name;
  private volatile boolean closed;
  private Throwable failed;

  /**
   * @param readers makes the reader (given the worker pool, or null, and the worker count)
   * @param name the source, for messages
   * @param from the cursor to start at
   * @param batches queue capacity, >= 1
   * @param workers threads reading samples, >= 1
   */
  BatchReadAhead(
      BiFunction<ExecutorService, Integer, BatchStream.Reader> readers,
      String name,
      long from,
      int batches,
      int workers) {
    this.name = name;
    this.queue = new ArrayBlockingQueue<>(batches);
    this.pool =
        workers > 1
            ? Executors.newFixedThreadPool(
                workers,
                r -> {
                  Thread t = new Thread(r, "mmmamba-data-worker");
                  t.setDaemon(true);
                  return t;
                })
            : null;
    BatchStream.Reader reader = readers.apply(pool, workers);
    reader.seek(from);
    this.thread = new Thread(() -> read(reader), "mmmamba-read-ahead");
    thread.setDaemon(true);
    thread.start();
  }

  private void read(BatchStream.Reader reader) {
    try {
      while (!closed) {
        Batch b = reader.next();
        queue.put(new Item(b, reader.position, null));
      }
    } catch (InterruptedException e) {
      // closed
    } catch (RuntimeException | Error e) {
      if (!closed) {
        try {
          queue.put(new Item(null, -1, e));
        } catch (InterruptedException closedMeanwhile) {
          // nobody waits for it any more
        }
      }
    }
  }

  /** The next batch, waiting for it if needed; rethrows the reader's exception. */
  Item take() {
    if (failed == null) {
      Item it;
      try {
        it = queue.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for a batch of " + name, e);
      }
      if (it.error() == null) {
        return it;
      }
      failed = it.error();
    }
    if (failed instanceof RuntimeException r) {
      throw r;
    }
    throw (Error) failed;
  }

  /** Stops the threads; batches read ahead are dropped. */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    if (pool != null) {
      pool.shutdownNow();
    }
    try {
      thread.join(TimeUnit.SECONDS.toMillis(10)); // a read blocked in I/O ends on its own
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    queue.clear();
  }
}
