package org.mmmamba.distill.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.mmmamba.core.nn.Scalars;
import org.mmmamba.distill.optim.AdamW;
import org.mmmamba.distill.optim.GradClip;
import org.mmmamba.distill.optim.LrSchedule;
import org.mmmamba.distill.optim.NonFinite;

/**
 * One optimiser step in DJL's autograd pattern, with gradient accumulation, clipping, a non-finite
 * guard and no leaks. Model-agnostic: it sees only named trainable arrays and a loss function.
 *
 * <p>{@link #run} for k micro-batches:
 *
 * <ol>
 *   <li>opens one {@code NDScope} (every array created in the step is freed at its end) and turns
 *       gradient recording on for this thread ({@link Backward}: DJL's collector without its
 *       one-per-JVM limit; gradients accumulate across its backward calls);
 *   <li>per micro-batch i: {@code loss_i = fn.loss(i)}, backward of {@code loss_i / k};
 *   <li>closes the collector, takes each parameter's gradient (null if no backward reached it),
 *       measures the global norm and clips it to {@code maxGradNorm} (torch's {@code
 *       clip_grad_norm_});
 *   <li>if loss and norm are finite, AdamW updates the parameters in place at {@code lr =
 *       schedule.lr(pos)}; otherwise the update is skipped and reported ({@link
 *       StepOutcome#nonFinite()});
 *   <li>always (also after an exception) zeroes the gradients with {@code grad.zero_()}, which
 *       clears NaN (never {@code zeroGradients()}, see {@link Gradients}), and closes the gradient
 *       handles.
 * </ol>
 *
 * <p>The schedule position {@code pos} advances by one per step, skipped steps included (as a torch
 * scheduler stepped after a skipped update); it is separate from AdamW's bias-correction counts,
 * which only advance on applied updates. Both are checkpointed. One step runs on one thread (grad
 * mode is thread-local in torch); several {@code GradientStep}s may run on several threads at once
 * (layer-parallel stages 1-2 on several devices).
 *
 * <p>With {@link #dataParallel} the forward and backward passes of a step run on N replicas on N
 * devices at once ({@link DataParallel}); the reduced gradient then goes through the same clipping,
 * non-finite check, loss scaling and update as on one device, and the update is copied into every
 * replica.
 */
public final class GradientStep {
  private final Map<String, NDArray> trainable;
  private final AdamW optimizer;
  private final LrSchedule schedule;
  private final double maxGradNorm;
  private java.util.function.Function<String, String> clipGroup;
  private long[][] groupRanges; // clip groups as flat ranges; empty: not contiguous
  private long position;
  private org.mmmamba.distill.precision.MasterWeights masters;
  private org.mmmamba.distill.precision.LossScaler scaler;
  private DataParallel dataParallel;

  /**
   * @param trainable the arrays to train, by name; each must require gradients ({@code
   *     setRequiresGradient(true)}) and the names must be those of {@code optimizer}
   * @param optimizer updates them
   * @param schedule gives the learning rate per position (validated here)
   * @param maxGradNorm global-norm bound, > 0; {@link Double#POSITIVE_INFINITY} disables clipping
   * @throws IllegalArgumentException on a name mismatch, an array without gradients or a bad bound
   */
  public GradientStep(
      Map<String, NDArray> trainable, AdamW optimizer, LrSchedule schedule, double maxGradNorm) {
    this.trainable = new LinkedHashMap<>(trainable);
    this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
    this.schedule = Objects.requireNonNull(schedule, "schedule").validate();
    if (!(maxGradNorm > 0)) {
      throw new IllegalArgumentException("maxGradNorm must be > 0, got " + maxGradNorm);
    }
    this.maxGradNorm = maxGradNorm;
    if (!this.trainable.keySet().equals(optimizer.names())) {
      throw new IllegalArgumentException(
          "trainable names "
              + this.trainable.keySet()
              + " differ from the optimiser's "
              + optimizer.names());
    }
    for (Map.Entry<String, NDArray> e : this.trainable.entrySet()) {
      if (!e.getValue().hasGradient()) {
        throw new IllegalArgumentException(
            "trainable '"
                + e.getKey()
                + "' does not require gradients (call setRequiresGradient(true))");
      }
    }
  }

  /**
   * Clips each group of parameters (by {@code group.apply(name)}) to {@code maxGradNorm} separately
   * instead of all together; the reported norm is the global one before clipping. Layer-wise stages
   * clip per layer, which keeps layers independent so that training a subset of layers in another
   * process gives the same result.
   */
  public GradientStep clipPerGroup(java.util.function.Function<String, String> group) {
    this.clipGroup = group;
    this.groupRanges = null;
    return this;
  }

  /**
   * Mixed precision: {@code trainable} are the model's (float16) arrays, the optimiser was built on
   * {@code masters.masters()} (float32). Each step then backpropagates {@code loss * scale}, turns
   * the float16 gradients into float32 master gradients divided by the scale, clips and checks
   * them, and applies the update to the masters (then rounds them into the model) only when the
   * scaler accepts the step; a non-finite gradient lowers the scale and the step is reported
   * skipped ({@link StepOutcome#nonFinite()}).
   */
  public GradientStep mixedPrecision(
      org.mmmamba.distill.precision.MasterWeights masters,
      org.mmmamba.distill.precision.LossScaler scaler) {
    if (!masters.model().keySet().equals(trainable.keySet())) {
      throw new IllegalArgumentException(
          "master names " + masters.model().keySet() + " differ from " + trainable.keySet());
    }
    this.masters = masters;
    this.scaler = Objects.requireNonNull(scaler, "scaler");
    return this;
  }

  /**
   * Runs each step's micro-batches on {@code dp}'s replicas ({@link DataParallel}); {@code
   * dp.primary()} must be this step's trainable arrays (replica 0). The loss function of {@link
   * #run} is then called on replica {@code dp.replicaOf(i)}'s thread for micro-batch i and must use
   * that replica's arrays.
   */
  public GradientStep dataParallel(DataParallel dp) {
    if (!dp.primary().keySet().equals(trainable.keySet())) {
      throw new IllegalArgumentException(
          "replica 0 names " + dp.primary().keySet() + " differ from " + trainable.keySet());
    }
    for (Map.Entry<String, NDArray> e : trainable.entrySet()) {
      if (dp.primary().get(e.getKey()) != e.getValue()) {
        throw new IllegalArgumentException(
            "replica 0's '" + e.getKey() + "' is not this step's trainable array");
      }
    }
    this.dataParallel = dp;
    return this;
  }

  /** The replicas (null unless {@link #dataParallel}). */
  public DataParallel replicas() {
    return dataParallel;
  }

  /** The loss scaler (null unless {@link #mixedPrecision}). */
  public org.mmmamba.distill.precision.LossScaler scaler() {
    return scaler;
  }

  /** The schedule position the next step will use. */
  public long position() {
    return position;
  }

  /** Sets the schedule position (resume from a checkpoint). */
  public void setPosition(long position) {
    if (position < 0) {
      throw new IllegalArgumentException("position must be >= 0, got " + position);
    }
    this.position = position;
  }

  /** The optimiser. */
  public AdamW optimizer() {
    return optimizer;
  }

  /** The schedule. */
  public LrSchedule schedule() {
    return schedule;
  }

  /**
   * Runs one optimiser step over {@code microBatches} micro-batches (see the class comment).
   *
   * @throws IllegalArgumentException if {@code microBatches} &lt; 1 or a loss is not a scalar
   */
  public StepOutcome run(int microBatches, Loss<Integer> fn) {
    if (microBatches < 1) {
      throw new IllegalArgumentException("microBatches must be >= 1, got " + microBatches);
    }
    long pos = position;
    double lr = schedule.lr(pos);
    double lossSum = 0;
    double norm;
    NonFinite nf;
    List<NDArray> handles = new ArrayList<>();
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      try {
        double factor = (scaler == null ? 1.0 : scaler.scale()) / microBatches;
        // The model's gradients by name (float16 under mixed precision, scaled by the loss scale).
        Map<String, NDArray> raw = new LinkedHashMap<>();
        if (dataParallel == null) {
          // The losses are read after every backward is queued: a read before the backward would
          // make the host wait for each micro-batch's forward (on a GPU, an idle device meanwhile).
          List<NDArray> losses = new ArrayList<>(microBatches);
          try (Backward bw = Backward.open()) {
            for (int i = 0; i < microBatches; i++) {
              NDArray loss = fn.loss(i);
              if (loss.size() != 1) {
                throw new IllegalArgumentException(
                    "micro-batch " + i + ": loss must be a scalar, got shape " + loss.getShape());
              }
              losses.add(loss);
              bw.run(factor == 1.0 ? loss : Scalars.mul(loss, factor));
            }
          }
          for (NDArray l : losses) {
            lossSum += scalar(l);
          }
          // Grad mode is per thread: the in-place updates below must not be recorded.
          ai.djl.pytorch.jni.JniUtils.setGradMode(false);
          for (Map.Entry<String, NDArray> e : trainable.entrySet()) {
            NDArray g = Gradients.of(e.getValue());
            if (g != null) {
              handles.add(g);
              raw.put(e.getKey(), g);
            }
          }
        } else {
          for (double l : dataParallel.backward(microBatches, factor, fn)) {
            lossSum += l; // in micro-batch order, as on one device
          }
          ai.djl.pytorch.jni.JniUtils.setGradMode(false);
          raw.putAll(dataParallel.reduceGradients());
        }
        double loss = lossSum / microBatches;
        // The multi-tensor path: the gradients flattened once, unscaled into float32, measured and
        // clipped as one vector (a few ops instead of two to four per parameter), then the update.
        // Elementwise steps on the flat vector are bitwise those per parameter.
        long[][] ranges = clipGroup == null ? null : groupRanges();
        NDArray flat =
            !raw.isEmpty() && (clipGroup == null || ranges != null) && optimizer.fusesGradients(raw)
                ? optimizer.flatGradient(raw)
                : null;
        Map<String, NDArray> grads = raw;
        if (masters != null) {
          if (flat != null) {
            flat = org.mmmamba.distill.precision.MasterWeights.masterGradient(flat, scaler.scale());
          } else {
            grads = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : raw.entrySet()) {
              grads.put(
                  e.getKey(),
                  org.mmmamba.distill.precision.MasterWeights.masterGradient(
                      e.getValue(), scaler.scale()));
            }
          }
        }
        if (grads.isEmpty()) {
          norm = 0;
        } else if (flat != null && ranges != null) {
          norm = GradClip.clipFlatGroups(flat, ranges[0], ranges[1], maxGradNorm);
        } else if (flat != null) {
          norm = GradClip.clipFlat(flat, maxGradNorm);
        } else if (maxGradNorm == Double.POSITIVE_INFINITY) {
          norm = GradClip.globalNorm(grads.values());
        } else if (clipGroup != null) {
          norm = GradClip.globalNorm(grads.values());
          Map<String, List<NDArray>> groups = new LinkedHashMap<>();
          grads.forEach(
              (n, g) -> groups.computeIfAbsent(clipGroup.apply(n), k -> new ArrayList<>()).add(g));
          for (List<NDArray> gs : groups.values()) {
            GradClip.clipGlobalNorm(gs, maxGradNorm);
          }
        } else {
          norm = GradClip.clipGlobalNorm(grads.values(), maxGradNorm);
        }
        nf = NonFinite.check(loss, norm);
        boolean apply = scaler == null ? nf.isFinite() : scaler.update(nf.isFinite());
        if (apply) {
          if (flat != null) {
            optimizer.stepFlat(flat, lr);
          } else {
            optimizer.step(grads, lr);
          }
          if (masters != null) {
            masters.copyToModel();
          }
          if (dataParallel != null) {
            dataParallel.broadcast();
          }
        }
      } finally {
        if (dataParallel != null) {
          dataParallel.zeroGradients();
        }
        for (NDArray p : trainable.values()) {
          Gradients.zero(p);
        }
        for (NDArray g : handles) {
          g.close();
        }
      }
    }
    position = pos + 1;
    return new StepOutcome(pos, lossSum / microBatches, norm, lr, nf, microBatches);
  }

  /** {@link #contiguousGroups}, computed once (the optimiser's layout does not change). */
  private long[][] groupRanges() {
    if (groupRanges == null) {
      long[][] r = contiguousGroups();
      groupRanges = r == null ? new long[0][] : r;
    }
    return groupRanges.length == 0 ? null : groupRanges;
  }

  /**
   * The clip groups as ranges of the optimiser's flat gradient ({starts, ends}), or null when a
   * group's parameters are not adjacent in it (then the per-parameter clipping runs).
   */
  private long[][] contiguousGroups() {
    List<Long> starts = new ArrayList<>();
    List<Long> ends = new ArrayList<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    String current = null;
    long offset = 0;
    for (Map.Entry<String, Long> e : optimizer.flatLayout().entrySet()) {
      String g = clipGroup.apply(e.getKey());
      if (!g.equals(current)) {
        if (!seen.add(g)) {
          return null; // the group came back after another one
        }
        current = g;
        starts.add(offset);
        ends.add(offset);
      }
      offset += e.getValue();
      ends.set(ends.size() - 1, offset);
    }
    return new long[][] {
      starts.stream().mapToLong(Long::longValue).toArray(),
      ends.stream().mapToLong(Long::longValue).toArray()
    };
  }

  /** A scalar array's value as a double (one host read). */
  static double scalar(NDArray a) {
    DataType t = a.getDataType();
    if (t == DataType.FLOAT64) {
      return a.toDoubleArray()[0];
    }
    if (t == DataType.FLOAT32) {
      return a.toFloatArray()[0];
    }
    try (NDArray d = a.toType(DataType.FLOAT64, false)) {
      return d.toDoubleArray()[0];
    }
  }
}
