package org.mmmamba.examples.jmh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.LayerKind;
import org.mmmamba.core.config.Mamba2Config;
import org.mmmamba.core.config.ModelFamily;
import org.mmmamba.core.config.ParamNames;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.ModelCache;
import org.mmmamba.core.model.RandomWeights;
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
 * Where one decode token of the linear student goes, at the size of {@code configs/bench/cpu.yaml}
 * (D 512, 8 Mamba-2 layers, 8 heads, 4 groups, P = N 64, SwiGLU 1376, vocab 4096; 118 MB of fp32
 * weights):
 *
 * <ul>
 *   <li>{@link #step}: the whole greedy step as {@code mmmamba bench} times it;
 *   <li>{@link #gemvOnly}: just {@code Linear.linear} of a 1-token input with every weight matrix
 *       the step uses, the step's matrix-vector work without anything else;
 *   <li>{@link #readOnly}: {@code sum()} over the same matrices, the rate the engine reads them at.
 * </ul>
 *
 * step - gemvOnly is the cost of the small ops (norms, conv, SSM step, gates: about 75 native calls
 * per layer); gemvOnly / readOnly is how far single-thread GEMV stays from streaming the weights.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-Xmx2g"})
public class DecodeStepBench {
  /** Engine intra-op threads. */
  @Param({"1"})
  public int threads;

  private NDManager m;
  private DecoderModel model;
  private ModelCache cache;
  private final List<NDArray> matrices = new ArrayList<>();
  private NDArray token;
  private NDArray wide;
  private long next = 1;
  private int steps;

  /** The linear student with random weights and an empty state. */
  @Setup(Level.Trial)
  public void setUp() {
    m = BenchSupport.manager(threads, 0);
    DecoderConfig teacher = DecoderConfig.llama(4096, 512, 8, 8, 4, 64, 1376);
    List<LayerKind> kinds = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      kinds.add(LayerKind.MAMBA2);
    }
    DecoderConfig linear =
        teacher.withLayers(ModelFamily.MMMAMBA, kinds, Mamba2Config.mmMamba(8, 4, 64, 2, 128));
    model = RandomWeights.model(linear, m, DataType.FLOAT32, 0);
    cache = model.newCache(m, 1, 1);
    for (String name : model.weights().names()) {
      NDArray w = model.weights().get(name);
      // The matrices a step multiplies by: not the embedding table (indexed) nor the conv taps
      // (elementwise).
      if (w.getShape().dimension() == 2
          && !name.equals(ParamNames.EMBED)
          && !name.endsWith("conv.weight")) {
        matrices.add(w);
      }
    }
    if (!model.weights().contains(ParamNames.LM_HEAD)) {
      matrices.add(model.lmHead()); // tied: the embedding table is also the LM head
    }
    token = BenchSupport.normal(m, 1, 1, 512);
    wide = BenchSupport.normal(m, 1, 1, 1376);
  }

  /** Frees everything. */
  @TearDown(Level.Trial)
  public void tearDown() {
    cache.close();
    model.close();
    m.close();
  }

  /**
   * One greedy decode step (embed, 8 layers on the state, final norm, LM head, argmax to the host).
   */
  @Benchmark
  public long step() {
    if (++steps % 4096 == 0) {
      cache.close(); // the state stays bounded anyway; a fresh one keeps positions small
      cache = model.newCache(m, 1, 1);
    }
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray ids = m.create(new long[] {next}, new Shape(1, 1));
      next = model.lastLogits(model.hidden(model.embed(ids), cache)).argMax(-1).toLongArray()[0];
      return next;
    }
  }

  /** The step's matrix-vector products alone. */
  @Benchmark
  public float gemvOnly() {
    float acc = 0;
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      for (NDArray w : matrices) {
        NDArray x = w.getShape().get(1) == 512 ? token : wide;
        acc += Linear.linear(x, w).singletonOrThrow().getFloat(0, 0, 0);
      }
    }
    return acc;
  }

  /** Reading the same matrices once (sum). */
  @Benchmark
  public float readOnly() {
    float acc = 0;
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      for (NDArray w : matrices) {
        acc += w.sum().getFloat();
      }
    }
    return acc;
  }
}
