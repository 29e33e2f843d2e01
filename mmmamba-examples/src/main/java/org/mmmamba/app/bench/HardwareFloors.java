package org.mmmamba.app.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;

/**
 * What this machine allows, measured through the same engine as the figures: memory bandwidth (a
 * large array copy, counted as bytes read + written, and a large sum, counted as bytes read; the
 * better of the two is the decode floor's bandwidth), the fp32 matmul rate of an n×n×n product (the
 * prefill floor's rate) and, for reference, a (1, D)×(D, 4D) GEMV. Medians of {@code repeats} timed
 * runs after one warm-up.
 *
 * @param copyGBps copy bandwidth (read + write) in GB/s (1e9 bytes)
 * @param readGBps sum bandwidth (read) in GB/s
 * @param bandwidthGBps the larger of the two: used for decode floors
 * @param matmulGflops n×n×n matmul rate in GFLOP/s: used for prefill floors
 * @param matmulMs median time of one matmul
 * @param gemvGflops (1, D)×(D, 4D) rate in GFLOP/s
 * @param gemvUs median time of one GEMV in microseconds
 * @param copyMb size of the copied array in MiB
 * @param matmulN n of the matmul
 * @param gemvD D of the GEMV
 */
public record HardwareFloors(
    double copyGBps,
    double readGBps,
    double bandwidthGBps,
    double matmulGflops,
    double matmulMs,
    double gemvGflops,
    double gemvUs,
    int copyMb,
    int matmulN,
    int gemvD) {

  /** Measures the floors with arrays of {@code dtype} (float32 for the figures). */
  public static HardwareFloors measure(
      BenchConfig.Floors f, int gemvD, NDManager parent, DataType dtype) {
    int e = dtype.getNumOfBytes();
    long n = (long) f.copyMb() * (1L << 20) / e;
    double copy;
    double read;
    double mm;
    double gemv;
    int gemvBatch = 50;
    try (NDManager m = parent.newSubManager()) {
      NDArray src = m.randomNormal(new Shape(n)).toType(dtype, false);
      NDArray dst = m.zeros(new Shape(n), dtype);
      NDIndex all = new NDIndex(":");
      copy =
          time(
              f.repeats(),
              () -> {
                dst.set(all, src);
                sync(dst);
              });
      read =
          time(
              f.repeats(),
              () -> {
                try (NDScope s = new NDScope()) {
                  s.suppressNotUsedWarning();
                  sync(src.sum());
                }
              });
      src.close();
      dst.close();
      int k = f.matmulN();
      NDArray a = m.randomNormal(new Shape(k, k)).toType(dtype, false);
      NDArray b = m.randomNormal(new Shape(k, k)).toType(dtype, false);
      mm =
          time(
              f.repeats(),
              () -> {
                try (NDScope s = new NDScope()) {
                  s.suppressNotUsedWarning();
                  sync(a.matMul(b));
                }
              });
      NDArray x = m.randomNormal(new Shape(1, gemvD)).toType(dtype, false);
      NDArray w = m.randomNormal(new Shape(4L * gemvD, gemvD)).toType(dtype, false);
      gemv =
          time(
                  f.repeats(),
                  () -> {
                    try (NDScope s = new NDScope()) {
                      s.suppressNotUsedWarning();
                      NDArray y = null;
                      for (int i = 0; i < gemvBatch; i++) {
                        y = Linear.linear(x, w).singletonOrThrow();
                      }
                      sync(y);
                    }
                  })
              / gemvBatch;
    }
    double bytes = (double) n * e;
    double copyGBps = 2 * bytes / (copy / 1e3) / 1e9;
    double readGBps = bytes / (read / 1e3) / 1e9;
    double mmFlops = 2.0 * f.matmulN() * f.matmulN() * f.matmulN();
    double gemvFlops = 2.0 * gemvD * 4 * gemvD;
    return new HardwareFloors(
        copyGBps,
        readGBps,
        Math.max(copyGBps, readGBps),
        mmFlops / (mm / 1e3) / 1e9,
        mm,
        gemvFlops / (gemv / 1e3) / 1e9,
        gemv * 1e3,
        f.copyMb(),
        f.matmulN(),
        gemvD);
  }

  /**
   * The better of two measurements, field by field (the hardware's capability under varying load).
   */
  public HardwareFloors best(HardwareFloors o) {
    return new HardwareFloors(
        Math.max(copyGBps, o.copyGBps),
        Math.max(readGBps, o.readGBps),
        Math.max(bandwidthGBps, o.bandwidthGBps),
        Math.max(matmulGflops, o.matmulGflops),
        Math.min(matmulMs, o.matmulMs),
        Math.max(gemvGflops, o.gemvGflops),
        Math.min(gemvUs, o.gemvUs),
        copyMb,
        matmulN,
        gemvD);
  }

  /** Decode floor: bytes over bandwidth, in ms. */
  public double bytesMs(double bytes) {
    return bytes / (bandwidthGBps * 1e9) * 1e3;
  }

  /** Prefill floor: FLOPs over the matmul rate, in ms. */
  public double flopsMs(double flops) {
    return flops / (matmulGflops * 1e9) * 1e3;
  }

  /**
   * Waits for {@code a}: reads one element to the host (on a GPU the ops before it have then
   * finished; any dtype).
   */
  static void sync(NDArray a) {
    try (NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      a.flatten().get(new NDIndex("0:1")).toType(DataType.FLOAT32, false).toFloatArray();
    }
  }

  /** Median milliseconds of {@code repeats} runs after one warm-up. */
  static double time(int repeats, Runnable r) {
    r.run();
    double[] ms = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      long t0 = System.nanoTime();
      r.run();
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    return Stats.of(ms).median();
  }
}
