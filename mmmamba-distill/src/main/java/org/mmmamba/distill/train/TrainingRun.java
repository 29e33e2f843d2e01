package org.mmmamba.distill.train;

import ai.djl.ndarray.NDArray;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
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
import org.mmmamba.distill.precision.LossScaler;
import org.mmmamba.distill.precision.MasterWeights;
import org.mmmamba.distill.precision.Precision;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training loop every stage (and teacher training) shares: batches from a {@link BatchStream},
 * one {@link GradientStep} per optimiser step, JSON Lines metrics, a progress bar, atomic
 * checkpoints every N steps and exact resume (weights, AdamW moments, schedule position and data
 * cursor are restored, so a resumed run ends bitwise equal to an uninterrupted one on CPU). A
 * {@link org.mmmamba.distill.metrics.MemoryWatch} logs resident (and GPU) memory into the metrics
 * every N steps and warns when it grows steadily.
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
   * @param stopOnNonFinite stop (true) or skip the step (false) when loss or gradient norm is not
   *     finite
   * @param clipGroup null for global-norm clipping, else the clipping group of each parameter name
   * @param precision fp32/tf32 train the arrays as they are; fp16-mixed trains float32 masters of
   *     them with loss scaling ({@link org.mmmamba.distill.precision.MasterWeights})
   * @param maxConsecutiveSkips this many skipped (non-finite) steps in a row stop the run ({@link
   *     SkipLimitStop}, exit code 3)
   * @param initialLossScale fp16-mixed: the loss scale of the first step (then x2 every 2000 finite
   *     steps, x0.5 on an overflow, as torch's GradScaler)
   */
  public record Settings(
      String label,
      int steps,
      LrSchedule schedule,
      AdamWConfig adamw,
      Predicate<String> decays,
      double clip,
      int gradAccum,
      int checkpointEvery,
      int keep,
      boolean stopOnNonFinite,
      java.util.function.Function<String, String> clipGroup,
      Precision precision,
      int maxConsecutiveSkips,
      double initialLossScale) {

    /** fp32, at most 100 skipped steps in a row. */
    public Settings(
        String label,
        int steps,
        LrSchedule schedule,
        AdamWConfig adamw,
        Predicate<String> decays,
        double clip,
        int gradAccum,
        int checkpointEvery,
        int keep,
        boolean stopOnNonFinite,
        java.util.function.Function<String, String> clipGroup) {
      this(
          label,
          steps,
          schedule,
          adamw,
          decays,
          clip,
          gradAccum,
          checkpointEvery,
          keep,
          stopOnNonFinite,
          clipGroup,
          Precision.FP32,
          DEFAULT_MAX_CONSECUTIVE_SKIPS,
          1.0);
    }

    /** Validates. */
    public Settings {
      java.util.Objects.requireNonNull(precision, "precision");
      if (maxConsecutiveSkips < 1) {
        throw new IllegalArgumentException(
            "maxConsecutiveSkips must be >= 1, got " + maxConsecutiveSkips);
      }
      if (!(initialLossScale > 0) || Double.isInfinite(initialLossScale)) {
        throw new IllegalArgumentException(
            "initialLossScale must be finite and > 0, got " + initialLossScale);
      }
    }
  }

  /** Default limit of skipped steps in a row. */
  public static final int DEFAULT_MAX_CONSECUTIVE_SKIPS = 100;

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
  public record Summary(
      long steps,
      long resumedFrom,
      double finalLoss,
      int skipped,
      double tokensPerSecond,
      double seconds) {}

  /** Thrown when a non-finite loss or gradient stops the run (the last good checkpoint is kept). */
  public static final class NonFiniteStop extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NonFiniteStop(String message) {
      super(message);
    }
  }

  /**
   * Thrown when too many steps in a row were skipped for non-finite values, or when a stage ends
   * without one applied update: the run learned nothing from them and must not report success (exit
   * code 3).
   */
  public static final class SkipLimitStop extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SkipLimitStop(String message) {
      super(message);
    }
  }

  private TrainingRun() {}

  /**
   * Runs (or resumes, when {@code dir} holds a checkpoint and {@code resume} is set) the loop.
   *
   * @param dir the stage's directory: checkpoints and metrics.jsonl go there
   * @param trainable parameters to train (they must require gradients; everything else must not)
   * @param data batches; its cursor is checkpointed
   */
  public static Summary run(
      Path dir,
      Settings s,
      Map<String, NDArray> trainable,
      BatchStream data,
      Loss<Batch> fn,
      boolean resume)
      throws java.io.IOException {
    return run(dir, s, trainable, data, fn, resume, RunHooks.none());
  }

  /**
   * As {@link #run(Path, Settings, Map, BatchStream, Loss, boolean)}, also writing TensorBoard
   * event files and running mid-run evaluations as {@code hooks} say.
   */
  public static Summary run(
      Path dir,
      Settings s,
      Map<String, NDArray> trainable,
      BatchStream data,
      Loss<Batch> fn,
      boolean resume,
      RunHooks hooks)
      throws java.io.IOException {
    return run(dir, s, trainable, null, data, List.of(fn), resume, hooks);
  }

  /**
   * As {@link #run(Path, Settings, Map, BatchStream, Loss, boolean, RunHooks)}, data parallel over
   * {@code dp}'s replicas ({@link DataParallel}): each step takes its {@code gradAccum}
   * micro-batches from {@code data} in order, as on one device, and micro-batch i runs on replica
   * {@code i mod N} with {@code perReplica.get(i mod N)}, which must build the loss from that
   * replica's models. Checkpoints hold one copy (replica 0's arrays, or the fp16-mixed masters);
   * after a restore and before the first step replica 0's values are copied into every replica, and
   * at every checkpoint the replicas are checked equal (an {@link IllegalStateException}
   * otherwise).
   */
  public static Summary runDataParallel(
      Path dir,
      Settings s,
      DataParallel dp,
      BatchStream data,
      List<Loss<Batch>> perReplica,
      boolean resume,
      RunHooks hooks)
      throws java.io.IOException {
    if (perReplica.size() != dp.size()) {
      throw new IllegalArgumentException(
          perReplica.size() + " loss functions for " + dp.size() + " replicas");
    }
    return run(dir, s, dp.primary(), dp, data, perReplica, resume, hooks);
  }

  private static Summary run(
      Path dir,
      Settings s,
      Map<String, NDArray> trainable,
      DataParallel dp,
      BatchStream data,
      List<Loss<Batch>> fns,
      boolean resume,
      RunHooks hooks)
      throws java.io.IOException {
    Loss<Batch> fn = fns.get(0);
    Files.createDirectories(dir);
    TrainingCheckpoint.removeLeftovers(dir);
    boolean mixed = s.precision().mixed();
    // The stream's read-ahead threads (if any) end with the loop, however it ends.
    try (data;
        Optimisation optimisation = Optimisation.open(s, trainable)) {
      MasterWeights mw = optimisation.masters();
      AdamW opt = optimisation.optimizer();
      // With mixed precision, checkpoints hold (and resume restores) the float32 masters.
      Map<String, NDArray> saved = optimisation.saved(trainable);
      LossScaler scaler = optimisation.scaler();
      GradientStep gs = optimisation.step();
      if (dp != null) {
        gs.dataParallel(dp);
      }
      long start = 0;
      Optional<Path> latest = resume ? TrainingCheckpoint.latest(dir) : Optional.empty();
      if (latest.isPresent()) {
        TrainingState st = TrainingCheckpoint.restore(latest.get(), saved, opt);
        start = st.step();
        if (mixed) {
          mw.copyToModel();
          String sc = st.metadata().get("loss_scale");
          if (sc != null) {
            scaler.restore(
                Double.parseDouble(sc),
                Integer.parseInt(st.metadata().getOrDefault("loss_scale_good", "0")));
          }
        }
        gs.setPosition(st.schedulePosition());
        data.seek(st.sampleCursor());
        LOG.info("{}: resumed from {} (step {})", s.label(), latest.get().getFileName(), start);
      }
      if (dp != null) {
        dp.broadcast();
        LOG.info("{}: data parallel over {} replicas {}", s.label(), dp.size(), dp.devices());
      }
      Path metricsFile = dir.resolve("metrics.jsonl");
      long t0 = System.nanoTime();
      long tokens = 0;
      int skipped = 0;
      int inARow = 0;
      long applied = 0;
      double[] recent = new double[10];
      int nRecent = 0;
      ai.djl.Device device =
          trainable.isEmpty() ? null : trainable.values().iterator().next().getDevice();
      org.mmmamba.distill.metrics.MemoryWatch memory =
          org.mmmamba.distill.metrics.MemoryWatch.ofProcess(
              org.mmmamba.distill.metrics.MemoryWatchConfig.fromEnvironment(),
              s.label(),
              device,
              LOG::warn);
      try (MetricsWriter metrics =
              start > 0
                  ? MetricsWriter.resume(metricsFile, start)
                  : MetricsWriter.create(metricsFile);
          TrainingBoard board = TrainingBoard.open(hooks.tensorBoard(), start)) {
        ProgressBar bar = ProgressBar.console(s.label(), s.steps(), 10.0);
        org.mmmamba.distill.metrics.OpProfile profile =
            org.mmmamba.distill.metrics.OpProfile.fromEnvironment();
        bar.start(start);
        for (long step = start; step < s.steps(); step++) {
          long[] stepTokens = {0};
          long[] dataNanos = {0}; // waiting for batches (0 when read-ahead keeps up)
          profile.before(step + 1);
          long stepStart = System.nanoTime();
          StepOutcome r;
          if (dp == null) {
            r =
                gs.run(
                    s.gradAccum(),
                    micro -> {
                      long w = System.nanoTime();
                      Batch b = data.next();
                      dataNanos[0] += System.nanoTime() - w;
                      stepTokens[0] += realTokens(b);
                      return fn.loss(b);
                    });
          } else {
            // The step's micro-batches in stream order (as on one device), then dealt to replicas.
            Batch[] micro = new Batch[s.gradAccum()];
            long w = System.nanoTime();
            for (int i = 0; i < micro.length; i++) {
              micro[i] = data.next();
              stepTokens[0] += realTokens(micro[i]);
            }
            dataNanos[0] += System.nanoTime() - w;
            r = gs.run(micro.length, i -> fns.get(dp.replicaOf(i)).loss(micro[i]));
          }
          tokens += stepTokens[0];
          Map<String, Object> ops = profile.after(step + 1, dir);
          if (ops != null) {
            LOG.info(
                "{}: step {} profiled: {} top-level ops, {} ms wall, {} ms in libtorch (caller"
                    + " thread); {}",
                s.label(),
                step + 1,
                ops.get("top_level_ops"),
                ops.get("wall_ms"),
                ops.get("in_libtorch_ms"),
                dir.resolve("profile"));
          }
          Map<String, Object> rec = new LinkedHashMap<>();
          rec.put("loss", r.loss());
          rec.put("grad_norm", r.gradNorm());
          rec.put("lr", r.lr());
          rec.put("tokens", stepTokens[0]);
          rec.put("applied", r.applied());
          memory.afterStep(step + 1, rec);
          // Wall time of the step (the logged loss is read back each micro-batch, so the device has
          // finished).
          rec.put("seconds", (System.nanoTime() - stepStart) / 1e9);
          rec.put("data_seconds", dataNanos[0] / 1e9);
          rec.put("time", System.currentTimeMillis() / 1000.0);
          if (mixed) {
            rec.put("loss_scale", scaler.scale());
          }
          metrics.step(step + 1, rec);
          board.step(
              step + 1,
              r,
              stepTokens[0],
              System.nanoTime() - stepStart,
              skipped + (r.applied() ? 0 : 1));
          if (!r.applied()) {
            skipped++;
            inARow++;
            String what =
                r.nonFinite() == org.mmmamba.distill.optim.NonFinite.LOSS
                    ? "loss (" + r.loss() + ")"
                    : "gradient norm (" + r.gradNorm() + ")";
            String msg = s.label() + ": non-finite " + what + " at step " + (step + 1);
            // With loss scaling an overflowing gradient is routine (the scale backs off); only the
            // loss, or the
            // consecutive-skip limit, stops such a run.
            boolean scalerOverflow =
                mixed && r.nonFinite() == org.mmmamba.distill.optim.NonFinite.GRAD_NORM;
            if (s.stopOnNonFinite() && !scalerOverflow) {
              throw new NonFiniteStop(msg + "; stopped, last good checkpoint kept in " + dir);
            }
            if (inARow >= s.maxConsecutiveSkips()) {
              throw new SkipLimitStop(
                  msg
                      + ": "
                      + inARow
                      + " steps in a row skipped (limit "
                      + s.maxConsecutiveSkips()
                      + ", run.max_consecutive_skips); stopped, last good checkpoint kept in "
                      + dir);
            }
            if (scalerOverflow) {
              LOG.info("{}; update skipped, loss scale now {}", msg, scaler.scale());
            } else {
              LOG.warn("{}; update skipped", msg);
            }
          } else {
            inARow = 0;
            applied++;
            recent[nRecent++ % recent.length] = r.loss();
          }
          if (hooks.evalEvery() > 0
              && ((step + 1) % hooks.evalEvery() == 0 || step + 1 == s.steps())) {
            Map<String, Double> ev = hooks.eval().evaluate(step + 1);
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("step", step + 1);
            e.putAll(ev);
            metrics.event("eval", e);
            board.eval(step + 1, ev);
          }
          bar.update(step + 1, r.loss(), r.lr(), stepTokens[0]);
          if ((step + 1) % s.checkpointEvery() == 0 || step + 1 == s.steps()) {
            Map<String, String> meta =
                mixed
                    ? Map.of(
                        "label",
                        s.label(),
                        "loss_scale",
                        Double.toString(scaler.scale()),
                        "loss_scale_good",
                        Integer.toString(scaler.goodInARow()))
                    : Map.of("label", s.label());
            TrainingState st =
                new TrainingState(step + 1, 0, data.cursor(), gs.position(), Map.of(), meta);
            TrainingCheckpoint.save(dir, st, saved, opt, s.keep());
            if (dp != null) {
              List<String> off = dp.divergent();
              if (!off.isEmpty()) {
                throw new IllegalStateException(
                    s.label()
                        + ": data-parallel replicas differ from replica 0 at step "
                        + (step + 1)
                        + ": "
                        + off);
              }
              metrics.event(
                  "replicas",
                  Map.of("step", step + 1, "devices", dp.devices().toString(), "equal", true));
            }
          }
          if (hooks.onStep() != null) {
            hooks.onStep().afterStep(s.label(), step + 1);
          }
        }
        bar.finish();
      }
      if (applied == 0 && s.steps() > start) {
        throw new SkipLimitStop(
            s.label()
                + ": all "
                + (s.steps() - start)
                + " steps skipped for non-finite values; "
                + "the stage learned nothing (see "
                + metricsFile
                + ")");
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      double mean = 0;
      int k = Math.min(nRecent, recent.length);
      for (int i = 0; i < k; i++) {
        mean += recent[i] / k;
      }
      return new Summary(
          s.steps(),
          start,
          k == 0 ? Double.NaN : mean,
          skipped,
          tokens / Math.max(secs, 1e-9),
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
