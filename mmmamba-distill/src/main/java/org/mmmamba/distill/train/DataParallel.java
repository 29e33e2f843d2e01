package org.mmmamba.distill.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.mmmamba.core.nn.Scalars;

/**
 * Data parallelism over the devices of one host (docs/scale-out.md): N replicas of the trainable
 * arrays, replica r on its own device with its own thread, each optimiser step's micro-batches
 * dealt round robin (micro-batch i goes to replica {@code i mod N}), gradients reduced onto replica
 * 0, one optimiser update there, the new values copied into every other replica.
 *
 * <p>Shapes and names: every replica maps the same names to arrays of the same shape and dtype as
 * replica 0's ({@link #primary}); replica 0's arrays are the model's own (the ones the optimiser or
 * its {@link org.mmmamba.distill.precision.MasterWeights} update and the checkpoints save).
 *
 * <p><b>Same arithmetic as one device.</b> A step over k micro-batches back-propagates {@code
 * loss_i * factor} for each i ({@code factor = lossScale / k}, as {@link GradientStep} does on one
 * device), so the reduced gradient {@code sum_r sum_{i = r mod N} grad(loss_i) * factor} is the
 * one-device gradient {@code sum_i grad(loss_i) * factor}: a split never changes the weighting of a
 * micro-batch or the normalisation inside its loss (a token-weighted mean stays the mean over that
 * micro-batch's tokens). Only the order of the floating-point additions differs (each replica
 * accumulates its own micro-batches, then replicas are added in order 0..N-1), so results match the
 * one-device run to float rounding, and are deterministic for a given N.
 *
 * <p><b>Reduction in FP32.</b> {@link #reduceGradients} widens float16 gradients to float32 before
 * adding (wider types stay as they are), on replica 0's device, in replica order.
 *
 * <p><b>Where AdamW lives: once, on replica 0's device.</b> The optimiser state (float32 masters
 * under fp16-mixed, both moments: 12 bytes per trainable parameter) exists once, next to replica 0.
 * Sharding it (ZeRO-1) would save (N-1)/N of it on device 0, but without a collective library every
 * byte moves as an explicit device-to-device copy from Java: a sharded update moves the same
 * gradient and parameter bytes as this one (each device sends (N-1)/N of its gradient and receives
 * (N-1)/N of the parameters), in N(N-1) copies instead of 2(N-1), for an update that is one
 * elementwise pass over the trainable parameters. One copy also keeps a checkpoint exactly the
 * one-device checkpoint and resume unchanged.
 *
 * <p><b>Replicas stay bitwise equal</b>: every replica starts as a copy of replica 0 ({@link
 * #broadcast}) and after each applied update receives replica 0's new values (a copy of bits, also
 * across dtypes: the float16 model arrays are copied, not re-rounded). {@link #divergent} checks
 * it.
 *
 * <p><b>Threads.</b> Replica r's forward and backward run on its own platform thread (created once,
 * so its thread-local torch grad mode and DJL {@code NDScope} stay its own), through {@link
 * Backward}, which does not use DJL's JVM-global {@code GradientCollector}. On the CPU the replicas
 * are N copies in N managers on the one CPU device (libtorch refuses CPU device indices other than
 * 0), which runs the same code path.
 */
public final class DataParallel implements AutoCloseable {
  private final List<Map<String, NDArray>> replicas;
  private final List<ExecutorService> threads = new ArrayList<>();

  /**
   * @param replicas the trainable arrays of each replica, replica 0 first (the primary); the same
   *     names, shapes and dtypes in each, every array requiring gradients, no array in two replicas
   * @throws IllegalArgumentException if they do not match
   */
  public DataParallel(List<Map<String, NDArray>> replicas) {
    if (replicas.isEmpty()) {
      throw new IllegalArgumentException("no replicas");
    }
    List<Map<String, NDArray>> rs = new ArrayList<>();
    Map<String, NDArray> p = replicas.get(0);
    java.util.Set<NDArray> seen = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (int r = 0; r < replicas.size(); r++) {
      Map<String, NDArray> m = replicas.get(r);
      if (!m.keySet().equals(p.keySet())) {
        throw new IllegalArgumentException(
            "replica " + r + " has names " + m.keySet() + ", replica 0 " + p.keySet());
      }
      for (Map.Entry<String, NDArray> e : m.entrySet()) {
        NDArray a = e.getValue();
        NDArray a0 = p.get(e.getKey());
        if (!a.getShape().equals(a0.getShape()) || a.getDataType() != a0.getDataType()) {
          throw new IllegalArgumentException(
              "replica "
                  + r
                  + ": '"
                  + e.getKey()
                  + "' is "
                  + a.getShape()
                  + " "
                  + a.getDataType()
                  + ", replica 0's "
                  + a0.getShape()
                  + " "
                  + a0.getDataType());
        }
        if (!a.hasGradient()) {
          throw new IllegalArgumentException(
              "replica " + r + ": '" + e.getKey() + "' does not require gradients");
        }
        if (!seen.add(a)) {
          throw new IllegalArgumentException(
              "replica " + r + ": '" + e.getKey() + "' is another replica's array");
        }
      }
      rs.add(Collections.unmodifiableMap(new LinkedHashMap<>(m)));
    }
    this.replicas = Collections.unmodifiableList(rs);
    for (int r = 0; r < rs.size(); r++) {
      String name = "mmmamba-dp-replica-" + r;
      threads.add(
          Executors.newSingleThreadExecutor(
              task -> {
                // A new thread starts with torch's grad mode on; Backward turns it on per step.
                Thread t =
                    new Thread(
                        () -> {
                          ai.djl.pytorch.jni.JniUtils.setGradMode(false);
                          task.run();
                        },
                        name);
                t.setDaemon(true);
                return t;
              }));
    }
  }

  /** N, the number of replicas. */
  public int size() {
    return replicas.size();
  }

  /** Replica 0's arrays (the model's own). */
  public Map<String, NDArray> primary() {
    return replicas.get(0);
  }

  /** Replica r's arrays. */
  public Map<String, NDArray> replica(int r) {
    return replicas.get(r);
  }

  /** The devices of the replicas, in order. */
  public List<Device> devices() {
    List<Device> out = new ArrayList<>();
    for (Map<String, NDArray> m : replicas) {
      out.add(m.isEmpty() ? null : m.values().iterator().next().getDevice());
    }
    return out;
  }

  /** The replica that runs micro-batch {@code i} of a step: {@code i mod N}. */
  public int replicaOf(int microBatch) {
    return microBatch % replicas.size();
  }

  /**
   * Runs the forward and backward passes of one step's micro-batches, replica {@code i mod N} for
   * micro-batch i, the replicas in parallel, each on its thread: {@code fn.loss(i)} is called on
   * that thread and must build the loss from that replica's arrays; its backward pass is of {@code
   * loss * factor}. Gradients accumulate into each replica's arrays.
   *
   * @return the (unscaled) loss of each micro-batch, by index
   * @throws IllegalArgumentException if a loss is not a scalar
   * @throws RuntimeException the first failure of a replica (by replica index), after all finished
   */
  double[] backward(int microBatches, double factor, Loss<Integer> fn) {
    double[] losses = new double[microBatches];
    List<Future<?>> running = new ArrayList<>();
    for (int r = 0; r < replicas.size(); r++) {
      int rr = r;
      running.add(
          threads
              .get(r)
              .submit(
                  () -> {
                    try (NDScope scope = new NDScope();
                        Backward bw = Backward.open()) {
                      scope.suppressNotUsedWarning();
                      for (int i = rr; i < microBatches; i += replicas.size()) {
                        NDArray loss = fn.loss(i);
                        if (loss.size() != 1) {
                          throw new IllegalArgumentException(
                              "micro-batch "
                                  + i
                                  + ": loss must be a scalar, got shape "
                                  + loss.getShape());
                        }
                        losses[i] = GradientStep.scalar(loss);
                        bw.run(factor == 1.0 ? loss : Scalars.mul(loss, factor));
                      }
                    }
                    return null;
                  }));
    }
    Throwable first = null;
    for (Future<?> f : running) {
      try {
        f.get();
      } catch (ExecutionException e) {
        first = first == null ? e.getCause() : first;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        first = first == null ? e : first;
      }
    }
    if (first instanceof RuntimeException re) {
      throw re;
    }
    if (first instanceof Error err) {
      throw err;
    }
    if (first != null) {
      throw new IllegalStateException("a replica failed: " + first, first);
    }
    return losses;
  }

  /**
   * The sum over replicas (in order 0..N-1) of each array's gradient, on replica 0's device,
   * float16 widened to float32: new arrays of the caller's scope. A name no backward pass reached
   * on any replica is left out (as {@link Gradients#of} gives null on one device).
   */
  Map<String, NDArray> reduceGradients() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    Device d0 = devices().get(0);
    for (String n : primary().keySet()) {
      NDArray sum = null;
      for (Map<String, NDArray> rep : replicas) {
        try (NDArray g = Gradients.of(rep.get(n))) {
          if (g == null) {
            continue;
          }
          NDArray w = widen(g);
          NDArray here = w.getDevice().equals(d0) && w != g ? w : w.toDevice(d0, true);
          if (w != g && here != w) {
            w.close();
          }
          if (sum == null) {
            sum = here;
          } else {
            sum.addi(here);
            here.close();
          }
        }
      }
      if (sum != null) {
        out.put(n, sum);
      }
    }
    return out;
  }

  private static NDArray widen(NDArray g) {
    return g.getDataType() == DataType.FLOAT16 ? g.toType(DataType.FLOAT32, true) : g;
  }

  /** Zeroes every replica's gradients ({@code grad.zero_()}, NaN and Inf included). */
  void zeroGradients() {
    for (Map<String, NDArray> rep : replicas) {
      for (NDArray a : rep.values()) {
        Gradients.zero(a);
      }
    }
  }

  /**
   * Copies replica 0's values into every other replica, in place (bits, not re-rounded). Call
   * outside gradient recording.
   */
  public void broadcast() {
    for (int r = 1; r < replicas.size(); r++) {
      for (Map.Entry<String, NDArray> e : replicas.get(r).entrySet()) {
        NDArray dst = e.getValue();
        NDArray src = primary().get(e.getKey());
        try (NDArray there = src.toDevice(dst.getDevice(), true)) {
          dst.set(new NDIndex("..."), there);
        }
      }
    }
  }

  /**
   * The arrays ("name@replicaR") whose value differs in some replica from replica 0's (empty: every
   * replica is equal). Compared on replica 0's device, value by value with NaN equal to NaN (DJL
   * cannot reinterpret bits on the device; equal values that differ in bits are only +0 and -0, and
   * {@link #broadcast} copies bits, so the tests compare bytes on the host), one host read per
   * array and replica.
   */
  public List<String> divergent() {
    List<String> out = new ArrayList<>();
    Device d0 = devices().get(0);
    for (String n : primary().keySet()) {
      NDArray a0 = primary().get(n);
      for (int r = 1; r < replicas.size(); r++) {
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          NDArray ar = replicas.get(r).get(n).toDevice(d0, true);
          NDArray same = ar.eq(a0).logicalOr(ar.isNaN().logicalAnd(a0.isNaN()));
          if (!same.all().getBoolean()) {
            out.add(n + "@replica" + r);
          }
        }
      }
    }
    return out;
  }

  /** The bytes of every replica's arrays equal replica 0's (a host copy of each: for tests). */
  public boolean bitwiseEqual() {
    for (String n : primary().keySet()) {
      byte[] b0 = primary().get(n).toByteArray();
      for (int r = 1; r < replicas.size(); r++) {
        if (!Arrays.equals(b0, replicas.get(r).get(n).toByteArray())) {
          return false;
        }
      }
    }
    return true;
  }

  @Override
  public void close() {
    for (ExecutorService t : threads) {
      t.shutdownNow();
    }
  }
}
