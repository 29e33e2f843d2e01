package org.mmmamba.distill.train;

import ai.djl.ndarray.NDArray;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.mmmamba.distill.checkpoint.TrainingCheckpoint;
import org.mmmamba.distill.checkpoint.TrainingState;
import org.mmmamba.distill.data.Batch;
import org.mmmamba.distill.data.BatchStream;
import org.mmmamba.distill.metrics.MetricsWriter;
import org.mmmamba.distill.metrics.ProgressBar;
import org.mmmamba.distill.optim.AdamW;
import org.mmmamba.distill.optim.AdamWConfig;
import org.mmmamba.distill.optim.LrSchedule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training loop every stage (and teacher training) shares: batches from a {@link BatchStream}, one
 * {@link GradientStep} per optimiser step, JSON Lines metrics, a progress bar, atomic checkpoints every N steps
 * and exact resume (weights, AdamW moments, schedule position and data cursor are restored, so a resumed run
 * ends bitwise equal to an uninterrupted one on CPU). A {@link org.mmmamba.distill.metrics.MemoryWatch} logs
 * resident (and GPU) memory into the metrics every N steps and warns when it grows steadily.
 */
public final class TrainingRun {
  private static final Logger LOG = LoggerFactory.getLogger(TrainingRun.class);

  /**
   * Loop settings.
   *
   * @param label name in logs and the progress bar
   * @param steps optimiser steps
   * @param schedule learning rate per step
   * @param adamw optimiser hyperparameters
   * @param decays which parameter names get weight decay
   * @param clip global gradient-norm bound
   * @param gradAccum micro-batches per optimiser step
   * @param checkpointEvery steps between checkpoints (the last step always checkpoints)
   * @param keep checkpoints kept
   * @param stopOnNonFinite stop (true) or skip the step (false) when loss or gradient norm is not finite
   * @param clipGroup null for global-norm clipping, else the clipping group of each parameter name
   */
  public record Settings(
      String label, int steps, LrSchedule schedule, AdamWConfig adamw, Predicate<String> decays, double clip,
      int gradAccum, int checkpointEvery, int keep, boolean stopOnNonFinite,
      java.util.function.Function<String, String> clipGroup) {}

  /** The loss of one micro-batch, built from the trainable parameters (see {@link MicroBatchLoss}). */
  @FunctionalInterface
  public interface BatchLoss {
    /** Scalar loss for {@code batch}. */
    NDArray loss(Batch batch);
  }

  /**
   * What the run did.
   *
   * @param steps optimiser steps completed in total (including before a resume)
   * @param resumedFrom the step the run resumed from (0 for a fresh run)
   * @param finalLoss mean loss of the last (up to) 10 steps of this process
   * @param skipped steps skipped for non-finite values
   * @param tokensPerSecond non-padding tokens per second of this process
   * @param seconds wall time of this process
   */
  public record Summary(long steps, long resumedFrom, double finalLoss, int skipped, double tokensPerSecond,
      double seconds) {}

  /** Thrown when a non-finite loss or gradient stops the run (the last good checkpoint is kept). */
  public static final class NonFiniteStop extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NonFiniteStop(String message) {
      super(message);
    }
  }

  /** Test hook (soak tests): called after every optimiser step, its checkpoint included, with label and step. */
  static volatile java.util.function.ObjLongConsumer<String> afterStep = (label, step) -> {};

  private TrainingRun() {}

  /**
   * Runs (or resumes, when {@code dir} holds a checkpoint and {@code resume} is set) the loop.
   *
   * @param dir the stage's directory: checkpoints and metrics.jsonl go there
   * @param trainable parameters to train (they must require gradients; everything else must not)
   * @param data batches; its cursor is checkpointed
   */
  public static Summary run(Path dir, Settings s, Map<String, NDArray> trainable, BatchStream data, BatchLoss fn,
      boolean resume) throws java.io.IOException {
    return run(dir, s, trainable, data, fn, resume, RunHooks.none());
  }

  /**
   * As {@link #run(Path, Settings, Map, BatchStream, BatchLoss, boolean)}, also writing TensorBoard event files
   * and running mid-run evaluations as {@code hooks} say.
   */
  public static Summary run(Path dir, Settings s, Map<String, NDArray> trainable, BatchStream data, BatchLoss fn,
      boolean resume, RunHooks hooks) throws java.io.IOException {
    Files.createDirectories(dir);
    TrainingCheckpoint.removeLeftovers(dir);
    try (AdamW opt = new AdamW(trainable, s.adamw(), s.decays())) {
      GradientStep gs = new GradientStep(trainable, opt, s.schedule(), s.clip());
      if (s.clipGroup() != null) {
        gs.clipPerGroup(s.clipGroup());
      }
      long start = 0;
      Optional<Path> latest = resume ? TrainingCheckpoint.latest(dir) : Optional.empty();
      if (latest.isPresent()) {
        TrainingState st = TrainingCheckpoint.restore(latest.get(), trainable, opt);
        start = st.step();
        gs.setPosition(st.schedulePosition());
        data.seek(st.sampleCursor());
        LOG.info("{}: resumed from {} (step {})", s.label(), latest.get().getFileName(), start);
      }
      Path metricsFile = dir.resolve("metrics.jsonl");
      long t0 = System.nanoTime();
      long tokens = 0;
      int skipped = 0;
      double[] recent = new double[10];
      int nRecent = 0;
      ai.djl.Device device = trainable.isEmpty() ? null : trainable.values().iterator().next().getDevice();
      org.mmmamba.distill.metrics.MemoryWatch memory = org.mmmamba.distill.metrics.MemoryWatch.ofProcess(
          org.mmmamba.distill.metrics.MemoryWatchConfig.fromEnvironment(), s.label(), device, LOG::warn);
      try (MetricsWriter metrics = start > 0 ? MetricsWriter.resume(metricsFile, start)
          : MetricsWriter.create(metricsFile);
          TrainingBoard board = TrainingBoard.open(hooks.tensorBoard(), start)) {
        ProgressBar bar = ProgressBar.console(s.label(), s.steps(), 10.0);
        bar.start(start);
        for (long step = start; step < s.steps(); step++) {
          long[] stepTokens = {0};
          long stepStart = System.nanoTime();
          StepOutcome r = gs.run(s.gradAccum(), micro -> {
            Batch b = data.next();
            stepTokens[0] += realTokens(b);
            return fn.loss(b);
          });
          tokens += stepTokens[0];
          Map<String, Object> rec = new LinkedHashMap<>();
          rec.put("loss", r.loss());
          rec.put("grad_norm", r.gradNorm());
          rec.put("lr", r.lr());
          rec.put("tokens", stepTokens[0]);
          rec.put("applied", r.applied());
          memory.afterStep(step + 1, rec);
          metrics.step(step + 1, rec);
          board.step(step + 1, r, stepTokens[0], System.nanoTime() - stepStart, skipped + (r.applied() ? 0 : 1));
          if (!r.applied()) {
            skipped++;
            String what = r.nonFinite() == org.mmmamba.distill.optim.NonFinite.LOSS ? "loss (" + r.loss() + ")"
                : "gradient norm (" + r.gradNorm() + ")";
            String msg = s.label() + ": non-finite " + what + " at step " + (step + 1);
            if (s.stopOnNonFinite()) {
              throw new NonFiniteStop(msg + "; stopped, last good checkpoint kept in " + dir);
            }
            LOG.warn("{}; update skipped", msg);
          } else {
            recent[nRecent++ % recent.length] = r.loss();
          }
          if (hooks.evalEvery() > 0 && ((step + 1) % hooks.evalEvery() == 0 || step + 1 == s.steps())) {
            Map<String, Double> ev = hooks.eval().evaluate(step + 1);
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("step", step + 1);
            e.putAll(ev);
            metrics.event("eval", e);
            board.eval(step + 1, ev);
          }
          bar.update(step + 1, r.loss(), r.lr(), stepTokens[0]);
          if ((step + 1) % s.checkpointEvery() == 0 || step + 1 == s.steps()) {
            TrainingState st = new TrainingState(step + 1, 0, data.cursor(), gs.position(), Map.of(),
                Map.of("label", s.label()));
            TrainingCheckpoint.save(dir, st, trainable, opt, s.keep());
          }
          afterStep.accept(s.label(), step + 1);
        }
        bar.finish();
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      double mean = 0;
      int k = Math.min(nRecent, recent.length);
      for (int i = 0; i < k; i++) {
        mean += recent[i] / k;
      }
      return new Summary(s.steps(), start, k == 0 ? Double.NaN : mean, skipped, tokens / Math.max(secs, 1e-9),
          secs);
    }
  }

  /** Non-padding tokens of a batch. */
  static long realTokens(Batch b) {
    long n = 0;
    for (boolean m : b.attentionMask()) {
      n += m ? 1 : 0;
    }
    return n;
  }
}
