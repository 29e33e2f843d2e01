package org.mmmamba.app.bench;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where and how the figures were measured: CPU model, cores, engine threads, allocator (the
 * launcher sets {@code MMMAMBA_ALLOCATOR}; otherwise it is read from {@code LD_PRELOAD}), DJL /
 * PyTorch / Java versions, memory, load average and date.
 */
final class MachineInfo {
  private MachineInfo() {}

  /** A snapshot (an ordered map, written as the JSON object "machine"). */
  static Map<String, Object> collect(boolean isolated) {
    return collect(isolated, "cpu");
  }

  /**
   * A snapshot for a run on {@code device}; on a GPU also its name, memory and driver (nvidia-smi)
   * and how device memory is read ({@link DeviceMemory#source}).
   */
  static Map<String, Object> collect(boolean isolated, String device) {
    Map<String, Object> m = collectCpu(isolated);
    m.put("device", device);
    if (!"cpu".equals(device)) {
      ai.djl.Device d = org.mmmamba.core.Devices.resolve(device);
      m.put("gpu_count", Engine.getInstance().getGpuCount());
      m.put("gpu", nvidiaSmi(d.getDeviceId()));
      m.put("gpu_memory_source", DeviceMemory.source(d));
      m.put("tf32_override_env", env(org.mmmamba.distill.precision.Precision.TF32_ENV));
      m.put("pytorch_cuda_alloc_conf", env("PYTORCH_CUDA_ALLOC_CONF"));
    }
    return m;
  }

  private static String nvidiaSmi(int id) {
    try {
      Process p =
          new ProcessBuilder(
                  "nvidia-smi",
                  "--query-gpu=name,memory.total,driver_version",
                  "--format=csv,noheader",
                  "-i",
                  Integer.toString(Math.max(id, 0)))
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes()).strip();
      return p.waitFor() == 0 ? out : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static Map<String, Object> collectCpu(boolean isolated) {
    Engine engine =
        Engine.getInstance(); // loads the native library before the thread queries below
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
    m.put("cpu_model", cpuModel());
    m.put("cpus_available", Runtime.getRuntime().availableProcessors());
    m.put("torch_threads", safeInt(JniUtils::getNumThreads));
    m.put("torch_interop_threads", safeInt(JniUtils::getNumInteropThreads));
    m.put("allocator", allocator());
    m.put("ld_preload", env("LD_PRELOAD"));
    m.put("malloc_conf", env("MALLOC_CONF"));
    m.put("djl_version", Engine.getDjlVersion());
    m.put("pytorch_version", engine.getVersion());
    m.put("engine", engine.getEngineName());
    m.put("mkl", engine.hasCapability("MKL"));
    // Strict reproducible mode (AUTO,STRICT) makes single-token GEMVs ~1.7x slower: say which mode
    // ran.
    m.put("mkl_cbwr", env("MKL_CBWR") == null ? "unset" : env("MKL_CBWR"));
    m.put("java_version", System.getProperty("java.version"));
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    m.put("mem_total_bytes", memTotal());
    m.put("load_avg_start", loadAvg());
    m.put("isolated_points", isolated);
    return m;
  }

  /** The allocator in use, as the launcher reports it or as LD_PRELOAD shows it. */
  static String allocator() {
    String a = env("MMMAMBA_ALLOCATOR");
    if (a != null && !a.isEmpty()) {
      return a;
    }
    String pre = env("LD_PRELOAD");
    if (pre != null && pre.contains("jemalloc")) {
      return "jemalloc (LD_PRELOAD " + pre + ", MALLOC_CONF " + env("MALLOC_CONF") + ")";
    }
    if (pre != null && pre.contains("tcmalloc")) {
      return "tcmalloc (LD_PRELOAD " + pre + ")";
    }
    return "glibc malloc (default)";
  }

  static String loadAvg() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      return System.getProperty("os.arch");
    }
    return System.getProperty("os.arch");
  }

  private static Long memTotal() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024L;
        }
      }
    } catch (IOException | RuntimeException e) {
      return null;
    }
    return null;
  }

  private static String env(String k) {
    return System.getenv(k);
  }

  private static Integer safeInt(java.util.function.IntSupplier s) {
    try {
      return s.getAsInt();
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      return null;
    }
  }
}
