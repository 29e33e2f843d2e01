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
 * One decode token of attention against a long KV cache: q (1, 8, 1, 64) against k, v (1, 4,
 * context, 64) that are views of a larger buffer, laid out as {@code KvCache} hands them out. The
 * floor is reading K and V once (2 · 4 · context · 64 · 4 bytes).
 *
 * <p>{@link #attend} is the library path ({@link CausalAttention#attend}); {@link #foldedGqa} is
 * the same math with the r = H/G query heads of a group folded into the matmul's row axis, (1, G,
 * r, P) × (1, G, P, context), so K and V are read in place instead of being broadcast to H heads
 * (which makes PyTorch's matmul copy them); {@code AttentionDecodeVariantsTest} holds the two
 * equal.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-Xmx4g"})
public class AttentionDecodeBench {
  /** Tokens in the cache. */
  @Param({"4096", "32768", "131072"})
  public int context;

  /** Engine intra-op threads. */
  @Param({"1"})
  public int threads;

  private NDManager m;
  private NDArray q;
  private NDArray k;
  private NDArray v;

  /** Random q and a random cache with 64 spare slots (so k, v are strided views, as in KvCache). */
  @Setup(Level.Trial)
  public void setUp() {
    m = BenchSupport.manager(threads, 0);
    q = BenchSupport.normal(m, 1, 8, 1, 64);
    k = BenchSupport.normal(m, 1, 4, context + 64, 64).get(":, :, :{}", context);
    v = BenchSupport.normal(m, 1, 4, context + 64, 64).get(":, :, :{}", context);
  }

  /** Frees the arrays. */
  @TearDown(Level.Trial)
  public void tearDown() {
    m.close();
  }

  /** The library path. */
  @Benchmark
  public float attend() {
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      return CausalAttention.attend(q, k, v).getFloat(0, 0, 0, 0);
    }
  }

  /** Query heads folded into rows: no broadcast of K and V. */
  @Benchmark
  public float foldedGqa() {
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      return DecodeAttention.foldedGqa(q, k, v).getFloat(0, 0, 0, 0);
    }
  }
}
