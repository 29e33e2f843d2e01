package org.mmmamba.examples.jmh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.concurrent.TimeUnit;
import org.mmmamba.core.config.RopeScaling;
import org.mmmamba.core.nn.DeviceConstants;
import org.mmmamba.core.nn.Rope;
import org.mmmamba.core.nn.Scalars;
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
 * What each attention layer paid per forward for its data-independent tensors, before and after the
 * device cache ({@link DeviceConstants}): the RoPE cos/sin tables (L, P) computed on the host
 * ({@link Rope#compute}, the path before) against rows of the cached table ({@link Rope#tables}); a
 * scalar operand made per op ({@link Scalars#of}) against the cached one ({@link
 * Scalars#constant}). HoVLE's head dim P = 128 and theta 1e6. On a GPU the "before" paths add a
 * blocking host-to-device copy each, which this CPU bench does not see.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-Xmx2g"})
public class LayerConstantsBench {
  /** Tokens per sample L. */
  @Param({"2048"})
  public int length;

  private NDManager m;
  private NDArray x;
  private final Rope rope = new Rope(1e6, RopeScaling.none(), 128);

  /** A manager and a small operand. */
  @Setup(Level.Trial)
  public void setUp() {
    m = BenchSupport.manager(1, 0);
    x = BenchSupport.normal(m, 4, 4);
  }

  /** Frees the arrays and the cache. */
  @TearDown(Level.Trial)
  public void tearDown() {
    m.close();
    DeviceConstants.clear();
  }

  /** Before: the tables computed on the host per layer and forward. */
  @Benchmark
  public long ropeComputed() {
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDList t = Rope.compute(m, DataType.FLOAT32, 1e6, 1.0, 128, 0, length);
      return t.get(0).getShape().get(0);
    }
  }

  /** After: two views of the device's cached table. */
  @Benchmark
  public long ropeCached() {
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDList t = rope.tables(m, DataType.FLOAT32, 0, length, length);
      return t.get(0).getShape().get(0);
    }
  }

  /** Before: x + eps with the scalar made for the op. */
  @Benchmark
  public long scalarMadePerOp() {
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      return x.add(Scalars.of(x, 1e-5)).getShape().size();
    }
  }

  /** After: x + eps with the cached scalar. */
  @Benchmark
  public long scalarCached() {
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      return Scalars.add(x, 1e-5).getShape().size();
    }
  }
}
