package org.mmmamba.app.bench;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One measured point. Times in milliseconds, memory in bytes; fields that do not apply are null
 * (omitted from JSON).
 *
 * @param model teacher, linear or hybrid
 * @param phase decode, prefill or table2
 * @param context decode: tokens in the cache/state; prefill: prompt length; table2: prompt length
 * @param repeats timed runs (decode: timed steps)
 * @param latencyMs median (table2: total time, prefill + all decode steps)
 * @param latencyMinMs fastest run
 * @param latencyMaxMs slowest run
 * @param latencyQ1Ms 25th percentile
 * @param latencyQ3Ms 75th percentile
 * @param peakBytes process peak RSS during the point (VmHWM after a reset); -1 if unavailable
 * @param baselineBytes process RSS when the peak was reset, before the point's caches existed
 * @param cacheBytes engine-side cache allocation (KV caches, SSM/conv states) at the point
 * @param weightsBytes engine-side parameter allocation
 * @param peakReset whether the peak could be reset before the point (false: peak since process
 *     start)
 * @param floorMs the hardware floor of the point (null until floors are applied)
 * @param floorRatio latencyMs / floorMs
 * @param floorBasis how the floor is computed: "bytes/bandwidth" or "flops/matmul" (table2: both,
 *     summed)
 * @param floorWork the bytes (decode) or FLOPs (prefill) behind the floor; table2: prefill FLOPs
 * @param tokensPerS table2: new tokens per second of total time; decode: 1000 / latency
 * @param prefillMs table2: median prefill time (first token included)
 * @param decodeMs table2: median time of the remaining decode steps
 * @param newTokens table2: tokens generated
 * @param samplesMs decode: every timed step, in run order (all rounds); training steps: every timed
 *     step
 * @param device where it ran (cpu, gpu, gpuN); null in outputs of older runs
 * @param precision the pass's precision (fp32, tf32, fp16); null in outputs of older runs
 * @param batch training steps: samples per step (context = tokens per sample); else null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BenchResult(
    BenchModel model,
    Phase phase,
    int context,
    int repeats,
    double latencyMs,
    double latencyMinMs,
    double latencyMaxMs,
    double latencyQ1Ms,
    double latencyQ3Ms,
    long peakBytes,
    long baselineBytes,
    long cacheBytes,
    long weightsBytes,
    boolean peakReset,
    Double floorMs,
    Double floorRatio,
    String floorBasis,
    Double floorWork,
    Double tokensPerS,
    Double prefillMs,
    Double decodeMs,
    Integer newTokens,
    java.util.List<Double> samplesMs,
    String device,
    String precision,
    Integer batch) {

  /** Defensive copy. */
  public BenchResult {
    samplesMs = samplesMs == null ? null : java.util.List.copyOf(samplesMs);
  }

  /** A result without floors. */
  static BenchResult measured(
      BenchModel model,
      Phase phase,
      int context,
      Stats t,
      MemoryWindow mem,
      long cacheBytes,
      long weightsBytes,
      Double tokensPerS,
      Double prefillMs,
      Double decodeMs,
      Integer newTokens) {
    return measured(
        model,
        phase,
        context,
        t,
        mem,
        cacheBytes,
        weightsBytes,
        tokensPerS,
        prefillMs,
        decodeMs,
        newTokens,
        null);
  }

  /** A result without floors, with its raw samples. */
  static BenchResult measured(
      BenchModel model,
      Phase phase,
      int context,
      Stats t,
      MemoryWindow mem,
      long cacheBytes,
      long weightsBytes,
      Double tokensPerS,
      Double prefillMs,
      Double decodeMs,
      Integer newTokens,
      java.util.List<Double> samplesMs) {
    return new BenchResult(
        model,
        phase,
        context,
        t.n(),
        t.median(),
        t.min(),
        t.max(),
        t.q1(),
        t.q3(),
        mem.peakBytes(),
        mem.baselineBytes(),
        cacheBytes,
        weightsBytes,
        mem.reset(),
        null,
        null,
        null,
        null,
        tokensPerS,
        prefillMs,
        decodeMs,
        newTokens,
        samplesMs,
        null,
        null,
        null);
  }

  /**
   * A training-step result: {@code context} tokens per sample x {@code batch} samples per step;
   * tokens/s = context x batch / median step time.
   */
  static BenchResult trainingStep(
      Phase phase, int context, int batch, Stats t, MemoryWindow mem, java.util.List<Double> ms) {
    return new BenchResult(
        BenchModel.LINEAR,
        phase,
        context,
        t.n(),
        t.median(),
        t.min(),
        t.max(),
        t.q1(),
        t.q3(),
        mem.peakBytes(),
        mem.baselineBytes(),
        0,
        0,
        mem.reset(),
        null,
        null,
        null,
        null,
        (double) context * batch / (t.median() / 1e3),
        null,
        null,
        null,
        ms,
        null,
        null,
        batch);
  }

  /** This result with its device and precision. */
  BenchResult tagged(String device, String precision) {
    return new BenchResult(
        model,
        phase,
        context,
        repeats,
        latencyMs,
        latencyMinMs,
        latencyMaxMs,
        latencyQ1Ms,
        latencyQ3Ms,
        peakBytes,
        baselineBytes,
        cacheBytes,
        weightsBytes,
        peakReset,
        floorMs,
        floorRatio,
        floorBasis,
        floorWork,
        tokensPerS,
        prefillMs,
        decodeMs,
        newTokens,
        samplesMs,
        device,
        precision,
        batch);
  }

  /**
   * Decode rounds of one point pooled into one result: statistics over every round's steps, the
   * highest peak and the lowest baseline of the rounds (each round is a fresh process when
   * isolated).
   *
   * @throws IllegalArgumentException unless every round is a decode result of the same point with
   *     samples
   */
  static BenchResult pooled(java.util.List<BenchResult> rounds) {
    BenchResult first = rounds.get(0);
    java.util.List<Double> all = new java.util.ArrayList<>();
    long peak = Long.MIN_VALUE;
    long baseline = Long.MAX_VALUE;
    boolean reset = true;
    for (BenchResult r : rounds) {
      if (r.phase != Phase.DECODE
          || r.model != first.model
          || r.context != first.context
          || r.samplesMs == null) {
        throw new IllegalArgumentException(
            "cannot pool "
                + r.model
                + " "
                + r.phase
                + " "
                + r.context
                + " with "
                + first.model
                + " "
                + first.phase
                + " "
                + first.context);
      }
      all.addAll(r.samplesMs);
      peak = Math.max(peak, r.peakBytes);
      baseline = Math.min(baseline, r.baselineBytes);
      reset &= r.peakReset;
    }
    Stats t = Stats.of(all.stream().mapToDouble(Double::doubleValue).toArray());
    return new BenchResult(
        first.model,
        Phase.DECODE,
        first.context,
        t.n(),
        t.median(),
        t.min(),
        t.max(),
        t.q1(),
        t.q3(),
        peak,
        baseline,
        first.cacheBytes,
        first.weightsBytes,
        reset,
        null,
        null,
        null,
        null,
        1e3 / t.median(),
        null,
        null,
        null,
        all,
        first.device,
        first.precision,
        first.batch);
  }

  /** This result with its floor. */
  BenchResult withFloor(double floor, String basis, double work) {
    return new BenchResult(
        model,
        phase,
        context,
        repeats,
        latencyMs,
        latencyMinMs,
        latencyMaxMs,
        latencyQ1Ms,
        latencyQ3Ms,
        peakBytes,
        baselineBytes,
        cacheBytes,
        weightsBytes,
        peakReset,
        floor,
        latencyMs / floor,
        basis,
        work,
        tokensPerS,
        prefillMs,
        decodeMs,
        newTokens,
        samplesMs,
        device,
        precision,
        batch);
  }

  /**
   * Process memory over a point: RSS when the peak was reset and the peak since.
   *
   * @param baselineBytes RSS at the reset
   * @param peakBytes VmHWM at the end
   * @param reset whether the reset worked
   */
  record MemoryWindow(long baselineBytes, long peakBytes, boolean reset) {
    /**
     * Opens a window on {@code device}: device memory on a GPU ({@link DeviceMemory}), process RSS
     * on the CPU.
     */
    static Start start(ai.djl.Device device) {
      if (device.isGpu()) {
        return DeviceMemory.start(device);
      }
      return start();
    }

    /** Resets the peak and records the baseline. */
    static Start start() {
      // Give back Java heap garbage (e.g. from building random weights) so it does not count as the
      // point's.
      System.gc();
      boolean ok = ProcMemory.resetPeak();
      return new Start(ProcMemory.rssBytes(), ok);
    }

    /** An open window ({@code gpu}: the device sampler, null for process RSS). */
    record Start(long baselineBytes, boolean reset, DeviceMemory.Sampler gpu) {
      Start(long baselineBytes, boolean reset) {
        this(baselineBytes, reset, null);
      }

      /** Closes the window: reads the peak. */
      MemoryWindow end() {
        if (gpu != null) {
          return new MemoryWindow(baselineBytes, gpu.stop(), reset);
        }
        return new MemoryWindow(baselineBytes, ProcMemory.peakBytes(), reset);
      }
    }
  }
}
