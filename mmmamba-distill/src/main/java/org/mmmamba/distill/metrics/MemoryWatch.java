package org.mmmamba.distill.metrics;

import ai.djl.Device;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The training memory watchdog: every {@code every} optimiser steps it adds the process's resident
 * memory ({@code rss_bytes}, {@code rss_peak_bytes}) and, on a CUDA device, the device's used
 * memory ({@code gpu_used_bytes}, from DJL's {@code CudaUtils}) to that step's metrics record, and
 * feeds the RSS into an {@link RssTrend}. When the slope over the window exceeds the bound (and
 * each half of the window grows at least half as fast: a steady growth, not a one-time jump) it
 * prints one warning line (once per run), hours before the kernel's OOM killer would end the run.
 * CPU runs never touch CUDA.
 */
public final class MemoryWatch {
  private final MemoryWatchConfig config;
  private final String label;
  private final LongSupplier rss;
  private final LongSupplier peak;
  private final Device device;
  private final Consumer<String> warn;
  private final RssTrend trend;
  private boolean warned;

  /**
   * @param config settings
   * @param label stage name, for the warning
   * @param device the training device (GPU memory is read only when it is a GPU)
   * @param rss current resident bytes (tests pass synthetic series)
   * @param peak peak resident bytes
   * @param warn where the one-line warning goes
   */
  public MemoryWatch(
      MemoryWatchConfig config,
      String label,
      Device device,
      LongSupplier rss,
      LongSupplier peak,
      Consumer<String> warn) {
    this.config = config;
    this.label = label;
    this.device = device;
    this.rss = rss;
    this.peak = peak;
    this.warn = warn;
    this.trend = new RssTrend(config.windowSteps(), 5);
  }

  /** The watchdog of this process: /proc/self for RSS. */
  public static MemoryWatch ofProcess(
      MemoryWatchConfig config, String label, Device device, Consumer<String> warn) {
    return new MemoryWatch(
        config, label, device, ResidentMemory::rssBytes, ResidentMemory::peakBytes, warn);
  }

  /**
   * Called after optimiser step {@code step} (1-based) with that step's metrics record; adds the
   * memory keys on sampled steps.
   */
  public void afterStep(long step, Map<String, Object> record) {
    if (config.every() == 0 || step % config.every() != 0) {
      return;
    }
    long r = rss.getAsLong();
    if (r < 0) {
      return;
    }
    record.put("rss_bytes", r);
    long p = peak.getAsLong();
    if (p >= 0) {
      record.put("rss_peak_bytes", p);
    }
    if (device != null && device.isGpu()) {
      try {
        record.put("gpu_used_bytes", ai.djl.util.cuda.CudaUtils.getGpuMemory(device).getUsed());
      } catch (RuntimeException e) {
        // no CUDA runtime visible to DJL: leave the key out
      }
    }
    if (step <= config.warmupSteps()) {
      return;
    }
    trend.add(step, r);
    double slope = trend.slope();
    double[] halves = trend.halfSlopes();
    double bound = config.maxSlopeBytesPerStep();
    if (!warned
        && slope > bound
        && halves[0] > bound / 2
        && halves[1] > bound / 2
        && trend.span() * 2 >= config.windowSteps()) {
      warned = true;
      long[] fl = trend.firstAndLast();
      warn.accept(
          String.format(
              Locale.ROOT,
              "%s: resident memory grows by %.1f MiB/step over the last %d steps "
                  + "(%.2f -> %.2f GiB; bound %.1f MiB/step): a leak or allocator retention; see docs/robustness.md",
              label,
              slope / MemoryWatchConfig.MIB,
              trend.span(),
              fl[0] / (1024.0 * MemoryWatchConfig.MIB),
              fl[1] / (1024.0 * MemoryWatchConfig.MIB),
              config.maxSlopeBytesPerStep() / MemoryWatchConfig.MIB));
    }
  }

  /** Whether the warning was given. */
  public boolean warned() {
    return warned;
  }
}
