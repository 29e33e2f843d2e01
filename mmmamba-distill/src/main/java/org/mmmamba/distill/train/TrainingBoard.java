package org.mmmamba.distill.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.mmmamba.distill.metrics.ResidentMemory;
import org.mmmamba.distill.metrics.TensorBoardWriter;

/**
 * The TensorBoard curves of one {@link TrainingRun}: per step {@code train/loss}, {@code train/lr},
 * {@code train/grad_norm}, {@code train/tokens_per_s} (non-padding tokens of the step over its wall
 * time), {@code train/rss_gib} (the process's resident memory) and {@code train/skipped_steps}
 * (cumulative, steps skipped for non-finite values); per mid-run evaluation {@code eval/<name>}. A
 * no-op without a directory.
 */
final class TrainingBoard implements AutoCloseable {
  private static final double GIB = 1024.0 * 1024 * 1024;

  private final TensorBoardWriter w;

  private TrainingBoard(TensorBoardWriter w) {
    this.w = w;
  }

  /**
   * Opens the board of a run starting (or resuming) at {@code start}; {@code dir} null: a no-op
   * board.
   */
  static TrainingBoard open(Path dir, long start) {
    return new TrainingBoard(dir == null ? null : TensorBoardWriter.open(dir, start));
  }

  void step(long step, StepOutcome r, long tokens, long nanos, int skippedSoFar) {
    if (w == null) {
      return;
    }
    Map<String, Double> v = new LinkedHashMap<>();
    v.put("train/loss", r.loss());
    v.put("train/lr", r.lr());
    v.put("train/grad_norm", r.gradNorm());
    v.put("train/tokens_per_s", tokens / Math.max(nanos / 1e9, 1e-9));
    long rss = ResidentMemory.rssBytes();
    if (rss > 0) {
      v.put("train/rss_gib", rss / GIB);
    }
    v.put("train/skipped_steps", (double) skippedSoFar);
    w.scalars(step, v);
  }

  void eval(long step, Map<String, Double> figures) {
    if (w == null) {
      return;
    }
    Map<String, Double> v = new LinkedHashMap<>();
    figures.forEach((k, x) -> v.put("eval/" + k, x));
    w.scalars(step, v);
  }

  @Override
  public void close() {
    if (w != null) {
      w.close();
    }
  }
}
