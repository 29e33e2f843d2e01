package org.mmmamba.examples.jmh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.concurrent.TimeUnit;
import org.mmmamba.core.nn.CausalAttention;
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
 * Exact causal attention over a prompt, {@link CausalAttention#attend} (query-blocked, no L×L
 * matrix), at the bench model's layer size: B 1, H 8 query heads, G 4 kv heads, P 64, length L.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-Xmx4g"})
public class AttentionPrefillBench {
  /** L. */
  @Param({"1024", "4096"})
  public int length;

  /** Engine intra-op threads. */
  @Param({"1"})
  public int threads;

  private NDManager m;
  private NDArray q;
  private NDArray k;
  private NDArray v;

  /** Random q (1, 8, L, 64), k and v (1, 4, L, 64). */
  @Setup(Level.Trial)
  public void setUp() {
    m = BenchSupport.manager(threads, 0);
    q = BenchSupport.normal(m, 1, 8, length, 64);
    k = BenchSupport.normal(m, 1, 4, length, 64);
    v = BenchSupport.normal(m, 1, 4, length, 64);
  }

  /** Frees the arrays. */
  @TearDown(Level.Trial)
  public void tearDown() {
    m.close();
  }

  /** One layer's attention over the whole prompt. */
  @Benchmark
  public float attend() {
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      return CausalAttention.attend(q, k, v).getFloat(0, 0, 0, 0);
    }
  }
}
