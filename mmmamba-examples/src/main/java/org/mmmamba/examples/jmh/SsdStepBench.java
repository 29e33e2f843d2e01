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
 * One decode token of the SSM recurrence, {@code S = exp(dt A) S + dt x B^T; y = S C}, per layer (B
 * 1, H heads, P = N 64): {@link Ssd#stepInPlace} (the decode path, state updated in place) beside
 * the functional {@link Ssd#step} (allocates a new state).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-Xmx2g"})
public class SsdStepBench {
  /** H. */
  @Param({"8"})
  public int heads;

  /** Engine intra-op threads. */
  @Param({"1"})
  public int threads;

  private NDManager m;
  private NDArray state;
  private NDArray x;
  private NDArray dt;
  private NDArray a;
  private NDArray b;
  private NDArray c;

  /** Random state and token inputs. */
  @Setup(Level.Trial)
  public void setUp() {
    m = BenchSupport.manager(threads, 0);
    state = BenchSupport.normal(m, 1, heads, 64, 64).mul(0.1f);
    x = BenchSupport.normal(m, 1, heads, 64);
    b = BenchSupport.normal(m, 1, heads, 64);
    c = BenchSupport.normal(m, 1, heads, 64);
    dt = BenchSupport.uniform(m, 1e-3f, 0.1f, 1, heads);
    a = BenchSupport.uniform(m, -8f, -1f, heads);
  }

  /** Frees the arrays. */
  @TearDown(Level.Trial)
  public void tearDown() {
    m.close();
  }

  /** The decode path: in place. */
  @Benchmark
  public float stepInPlace() {
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      return Ssd.stepInPlace(state, x, dt, a, b, c).getFloat(0, 0, 0);
    }
  }

  /** The functional step (new state each call). */
  @Benchmark
  public float stepFunctional() {
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      return Ssd.step(state, x, dt, a, b, c).y().getFloat(0, 0, 0);
    }
  }
}
