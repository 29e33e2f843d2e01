package org.mmmamba.examples.jmh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.concurrent.TimeUnit;
import org.mmmamba.core.ssd.Ssd;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link Ssd#chunkedScan} (training / prefill form) at the bench model's mixer size: B 1, H 8, P =
 * N 64, chunk Q, length L. Inputs as a Mamba-2 layer sees them: dt in [1e-3, 0.1], A in [-8, -1].
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-Xmx4g"})
public class SsdScanBench {
  /** L. */
  @Param({"1024", "4096"})
  public int length;

  /** Q. */
  @Param({"128"})
  public int chunk;

  /** Engine intra-op threads. */
  @Param({"1"})
  public int threads;

  private NDManager m;
  private NDArray x;
  private NDArray dt;
  private NDArray a;
  private NDArray b;
  private NDArray c;

  /** Random inputs (B 1, H 8, P = N 64). */
  @Setup(Level.Trial)
  public void setUp() {
    m = BenchSupport.manager(threads, 0);
    x = BenchSupport.normal(m, 1, length, 8, 64);
    b = BenchSupport.normal(m, 1, length, 8, 64);
    c = BenchSupport.normal(m, 1, length, 8, 64);
    dt = BenchSupport.uniform(m, 1e-3f, 0.1f, 1, length, 8);
    a = BenchSupport.uniform(m, -8f, -1f, 8);
  }

  /** Frees the inputs. */
  @TearDown(Level.Trial)
  public void tearDown() {
    m.close();
  }

  /** One chunked scan, y and final state; ends with a host read. */
  @Benchmark
  public float chunkedScan() {
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      return Ssd.chunkedScan(x, dt, a, b, c, chunk, null).y().getFloat(0, 0, 0, 0);
    }
  }
}
