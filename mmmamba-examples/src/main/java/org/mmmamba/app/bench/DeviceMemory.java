package org.mmmamba.app.bench;

import ai.djl.Device;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Peak GPU memory of a benchmark point. DJL 0.36 exposes no allocator statistics (no {@code
 * torch.cuda.max_memory_allocated}); what it has is {@code JniUtils.emptyCudaCache()} and {@code
 * CudaUtils.getGpuMemory(device)} (cudaMemGetInfo through JNA: the device's used memory, the same
 * figure as nvidia-smi's memory.used). libtorch's caching allocator keeps every block it reserved
 * until the cache is emptied, so: the cache is emptied when a point starts, a thread samples the
 * used memory every {@value #PERIOD_MS} ms while it runs, and the point's peak is the largest
 * sample or the final reading. It counts what the process holds on the device (CUDA context,
 * weights, caches, libtorch's reserved blocks), as the earlier nvidia-smi figures of
 * docs/bench/h200 did. When DJL cannot load libcudart (JNA finds no {@code libcudart.so}), the
 * samples come from {@code nvidia-smi --query-gpu=memory.used}; when neither works, -1.
 */
final class DeviceMemory {
  static final long PERIOD_MS = 20;
  private static volatile String source;

  private DeviceMemory() {}

  /** Empties libtorch's cache, then starts sampling {@code device}'s used memory. */
  static BenchResult.MemoryWindow.Start start(Device device) {
    ai.djl.pytorch.jni.JniUtils.emptyCudaCache();
    long base = used(device);
    Sampler s = new Sampler(device, base);
    s.thread.start();
    return new BenchResult.MemoryWindow.Start(base, base >= 0, s);
  }

  /** How the used memory is read: "cudart (DJL CudaUtils)", "nvidia-smi" or "unavailable". */
  static String source(Device device) {
    if (source == null) {
      used(device);
    }
    return source;
  }

  /** The device's used memory in bytes, -1 when it cannot be read. */
  static long used(Device device) {
    if (source == null || source.startsWith("cudart")) {
      try {
        long u = ai.djl.util.cuda.CudaUtils.getGpuMemory(device).getUsed();
        source = "cudart (DJL CudaUtils.getGpuMemory)";
        return u;
      } catch (RuntimeException | LinkageError e) {
        if (source != null) {
          return -1;
        }
      }
    }
    long u = nvidiaSmi(device.getDeviceId());
    source = u >= 0 ? "nvidia-smi memory.used" : "unavailable";
    return u;
  }

  private static long nvidiaSmi(int id) {
    try {
      Process p =
          new ProcessBuilder(
                  "nvidia-smi",
                  "--query-gpu=memory.used",
                  "--format=csv,noheader,nounits",
                  "-i",
                  Integer.toString(Math.max(id, 0)))
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return -1;
      }
      return Long.parseLong(out.lines().findFirst().orElse("").strip()) << 20;
    } catch (IOException | NumberFormatException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** The sampling thread of one point. */
  static final class Sampler {
    private final Device device;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long peak;

    Sampler(Device device, long base) {
      this.device = device;
      this.peak = base;
      this.thread = new Thread(this::loop, "bench-gpu-memory");
      thread.setDaemon(true);
    }

    private void loop() {
      while (running) {
        peak = Math.max(peak, used(device));
        try {
          Thread.sleep(PERIOD_MS);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    /** Stops sampling; returns the peak (-1 when unreadable). */
    long stop() {
      running = false;
      thread.interrupt();
      try {
        thread.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      long last = used(device);
      long p = Math.max(peak, last);
      return p < 0 ? -1 : p;
    }
  }
}
