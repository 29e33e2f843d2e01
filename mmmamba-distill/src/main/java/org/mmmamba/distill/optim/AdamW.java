package org.mmmamba.distill.optim;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.io.CheckpointReader;
import org.mmmamba.core.io.SafetensorsFile;
import org.mmmamba.core.io.SafetensorsWriter;
import org.mmmamba.core.io.TensorIo;

/**
 * AdamW with the semantics of {@code torch.optim.AdamW} (single-tensor path, {@code amsgrad=False},
 * {@code maximize=False}) and a state that can be saved and restored exactly.
 *
 * <p>Per {@link #step} with learning rate lr, for each parameter p that has a gradient g, with t
 * its own update count after increment (1-based) and λ its weight decay (0 where the mask says no):
 *
 * <pre>
 *   p ← p · (1 − lr·λ)                                   decoupled weight decay, first
 *   m ← m + (1 − β1)·(g − m)                              torch's lerp
 *   v ← β2·v + (1 − β2)·g·g                               torch's addcmul
 *   p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)   torch's addcdiv
 * </pre>
 *
 * <p>Shapes: m and v have p's shape, dtype and device; t is a per-parameter count as in torch's
 * state.
 *
 * <p>Parameters are updated strictly in place, because models hold direct references to them; call
 * {@link #step} outside a {@code GradientCollector} (torch refuses in-place writes to recording
 * leaves). Every temporary lives in an {@link NDScope} and in the optimiser's own manager (never
 * the parameters'), and scalar factors are made once per step and dtype as 0-d arrays (a Java
 * {@code Number} argument would allocate a tensor per op).
 *
 * <p>Saved state: tensors {@code optim.m.<name>}, {@code optim.v.<name>} (parameter dtype) and
 * {@code optim.t.<name>} (I64, shape [1]), plus metadata {@code optim.steps} (calls to {@link
 * #step}) and the hyperparameters for the record. Not thread-safe.
 *
 * <p><b>Multi-tensor fast path</b> (like torch's {@code foreach} implementation, on the GPU an op
 * count matter: each op costs a launch and a JNI call). When every parameter has the same dtype,
 * the moments of all parameters live in one flat buffer each, and each parameter's m and v are
 * views into it. A step in which every parameter has a gradient and all update counts are equal
 * (the usual case) concatenates the gradients once and runs the moment and update arithmetic on the
 * flat buffers: about 4 ops per parameter plus 15, instead of about 14 per parameter. The
 * arithmetic is element-wise and in the same order, so the result is bitwise that of the
 * per-parameter path, which stays as the slow twin ({@link #perParameter}) and serves every other
 * step. When the parameters are themselves views of one flat buffer ({@link #parametersFlat}: the
 * float32 masters of mixed precision), the decay and the update are applied to that buffer too: one
 * op per run of adjacent decaying parameters plus one, instead of 2 to 3 per parameter.
 */
public final class AdamW implements AutoCloseable {
  /** Prefix of every tensor this optimiser saves. */
  public static final String PREFIX = "optim.";

  private final AdamWConfig config;
  private final NDManager stateManager;
  private final Map<String, Slot> slots = new LinkedHashMap<>();
  private long steps;

  /** Flat moments (null when the parameters' dtypes differ); the slots' m and v are views. */
  private NDArray flatM;

  private NDArray flatV;

  /** Split points of the flat buffers between consecutive parameters (slot order). */
  private long[] splits;

  private boolean multiTensor = true;

  /**
   * The parameters as one flat buffer whose consecutive ranges (slot order) the parameters are
   * views of (null: the parameters are separate arrays); see {@link #parametersFlat}.
   */
  private NDArray flatP;

  /**
   * The ranges of {@link #flatP} that get weight decay, as views (adjacent decaying parameters
   * merged into one range; empty when none decays).
   */
  private java.util.List<NDArray> decayRuns;

  /** Per-parameter state. */
  private static final class Slot {
    final NDArray p;
    final NDArray m;
    final NDArray v;
    final boolean decays;
    long t;

    Slot(NDArray p, NDArray m, NDArray v, boolean decays) {
      this.p = p;
      this.m = m;
      this.v = v;
      this.decays = decays;
    }
  }

  /**
   * An optimiser over {@code params} (kept by reference, in the map's order) with zero moments.
   *
   * @param params trainable arrays by name; all on one device, floating point
   * @param config hyperparameters (validated here)
   * @param decays which names get weight decay, e.g. {@link WeightDecay#official()}
   * @throws IllegalArgumentException if {@code params} is empty, mixes devices or holds a non-float
   *     array
   */
  public AdamW(Map<String, NDArray> params, AdamWConfig config, Predicate<String> decays) {
    this.config = Objects.requireNonNull(config, "config").validate();
    Objects.requireNonNull(decays, "decays");
    if (params.isEmpty()) {
      throw new IllegalArgumentException("AdamW needs at least one parameter");
    }
    Device device = params.values().iterator().next().getDevice();
    this.stateManager = NDManager.newBaseManager(device);
    try {
      DataType common = params.values().iterator().next().getDataType();
      long total = 0;
      for (NDArray p : params.values()) {
        common = p.getDataType() == common ? common : null;
        total += p.getShape().size();
      }
      if (common != null && common.isFloating()) {
        flatM = stateManager.zeros(new ai.djl.ndarray.types.Shape(total), common);
        flatV = stateManager.zeros(new ai.djl.ndarray.types.Shape(total), common);
        NDScope.unregister(flatM, flatV);
        splits = new long[params.size() - 1];
      }
      long offset = 0;
      int index = 0;
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        String name = e.getKey();
        NDArray p = Objects.requireNonNull(e.getValue(), name);
        if (!p.getDevice().equals(device)) {
          throw new IllegalArgumentException(
              "parameter '" + name + "' is on " + p.getDevice() + ", others on " + device);
        }
        if (!p.getDataType().isFloating()) {
          throw new IllegalArgumentException("parameter '" + name + "' is " + p.getDataType());
        }
        NDArray m;
        NDArray v;
        if (flatM != null) {
          long n = p.getShape().size();
          ai.djl.ndarray.index.NDIndex range =
              new ai.djl.ndarray.index.NDIndex("{}:{}", offset, offset + n);
          m = viewOf(flatM, range, p.getShape());
          v = viewOf(flatV, range, p.getShape());
          offset += n;
          if (index < splits.length) {
            splits[index] = offset;
          }
          index++;
        } else {
          m = stateManager.zeros(p.getShape(), p.getDataType());
          v = stateManager.zeros(p.getShape(), p.getDataType());
        }
        NDScope.unregister(m, v);
        slots.put(name, new Slot(p, m, v, decays.test(name)));
      }
    } catch (RuntimeException ex) {
      stateManager.close();
      throw ex;
    }
  }

  /** The hyperparameters. */
  public AdamWConfig config() {
    return config;
  }

  /** Parameter names in update order (unmodifiable). */
  public Set<String> names() {
    return Collections.unmodifiableSet(slots.keySet());
  }

  /** Whether {@code name} gets weight decay. */
  public boolean decays(String name) {
    return slot(name).decays;
  }

  /** Calls of {@link #step} so far (restored by {@link #load}). */
  public long steps() {
    return steps;
  }

  /** Updates of one parameter so far (torch's {@code state[p]["step"]}). */
  public long updates(String name) {
    return slot(name).t;
  }

  /** First moment of a parameter (live; do not modify). */
  public NDArray m(String name) {
    return slot(name).m;
  }

  /** Second moment of a parameter (live; do not modify). */
  public NDArray v(String name) {
    return slot(name).v;
  }

  /**
   * One AdamW update of every parameter that has a gradient in {@code grads}, in place.
   *
   * @param grads gradient per parameter name; a missing or null entry means "no gradient": that
   *     parameter is left untouched and its count t does not advance (torch skips {@code p.grad is
   *     None})
   * @param lr the learning rate for this step, finite and ≥ 0
   * @throws IllegalArgumentException for an unknown name, a shape or dtype mismatch, or a bad lr
   */
  public void step(Map<String, NDArray> grads, double lr) {
    if (!(lr >= 0 && Double.isFinite(lr))) {
      throw new IllegalArgumentException("lr must be finite and >= 0, got " + lr);
    }
    for (Map.Entry<String, NDArray> e : grads.entrySet()) {
      Slot s = slots.get(e.getKey());
      if (s == null) {
        throw new IllegalArgumentException("gradient for unknown parameter '" + e.getKey() + "'");
      }
      NDArray g = e.getValue();
      if (g != null
          && (!g.getShape().equals(s.p.getShape()) || g.getDataType() != s.p.getDataType())) {
        throw new IllegalArgumentException(
            "gradient of '"
                + e.getKey()
                + "' is "
                + g.getDataType()
                + g.getShape()
                + ", parameter is "
                + s.p.getDataType()
                + s.p.getShape());
      }
    }
    if (fusesGradients(grads)) {
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        multiTensorStep(flatGradient(grads), lr);
      }
    } else {
      perParameter(grads, lr);
      steps++;
    }
  }

  /**
   * Whether {@link #step} takes the multi-tensor path for {@code grads} (on, every parameter has a
   * gradient, equal update counts): then a caller may flatten the gradients once ({@link
   * #flatGradient}), work on the flat vector (norm, clipping: one op each instead of one per
   * parameter) and hand it to {@link #stepFlat}.
   */
  public boolean fusesGradients(Map<String, NDArray> grads) {
    return multiTensor && flatM != null && allPresentInStep(grads);
  }

  /**
   * The gradients concatenated in this optimiser's parameter order, flattened: (total elements).
   * The array {@link #stepFlat} expects; created in the first gradient's manager.
   */
  public NDArray flatGradient(Map<String, NDArray> grads) {
    ai.djl.ndarray.NDList flat = new ai.djl.ndarray.NDList(slots.size());
    for (String name : slots.keySet()) {
      NDArray g = grads.get(name);
      if (g == null) {
        throw new IllegalArgumentException("no gradient for '" + name + "'");
      }
      flat.add(g.reshape(-1));
    }
    return flat.size() == 1 ? flat.get(0) : ai.djl.ndarray.NDArrays.concat(flat);
  }

  /** Element count of each parameter, in {@link #flatGradient}'s order (its layout). */
  public Map<String, Long> flatLayout() {
    Map<String, Long> out = new LinkedHashMap<>();
    slots.forEach((n, s) -> out.put(n, s.p.getShape().size()));
    return Collections.unmodifiableMap(out);
  }

  /**
   * One AdamW update of every parameter from {@link #flatGradient}'s vector (possibly clipped in
   * place): bitwise {@link #step} with the same gradients.
   *
   * @throws IllegalStateException if the multi-tensor path does not apply (see {@link
   *     #fusesGradients})
   */
  public void stepFlat(NDArray flatGradient, double lr) {
    if (!(lr >= 0 && Double.isFinite(lr))) {
      throw new IllegalArgumentException("lr must be finite and >= 0, got " + lr);
    }
    if (!multiTensor || flatM == null || !equalCounts()) {
      throw new IllegalStateException(
          "stepFlat needs the multi-tensor path (on, and equal update counts)");
    }
    if (!flatGradient.getShape().equals(flatM.getShape())
        || flatGradient.getDataType() != flatM.getDataType()) {
      throw new IllegalArgumentException(
          "flat gradient is "
              + flatGradient.getDataType()
              + flatGradient.getShape()
              + ", expected "
              + flatM.getDataType()
              + flatM.getShape());
    }
    multiTensorStep(flatGradient, lr);
  }

  /**
   * Declares that the parameters are views of {@code flat}: parameter i (in {@link #names} order)
   * is {@code flat[o_i, o_i + n_i)} reshaped, {@code o_i} the sum of the earlier element counts
   * ({@link #flatLayout}). Multi-tensor steps then update {@code flat} with one weight-decay
   * product per run of adjacent decaying parameters and one addition, instead of two to three ops
   * per parameter; the arithmetic per element is the same, so the result stays bitwise that of the
   * per-parameter path. The caller owns {@code flat} and keeps the views alive (e.g. {@code
   * MasterWeights}, whose float32 masters are such views). The per-parameter path is unchanged (it
   * writes through the views).
   *
   * @throws IllegalArgumentException if {@code flat}'s size, dtype or device does not match, or the
   *     multi-tensor layout does not exist (parameters of different dtypes)
   */
  public AdamW parametersFlat(NDArray flat) {
    if (flatM == null) {
      throw new IllegalArgumentException("flat parameters need parameters of one dtype");
    }
    if (!flat.getShape().equals(flatM.getShape())
        || flat.getDataType() != flatM.getDataType()
        || !flat.getDevice().equals(flatM.getDevice())) {
      throw new IllegalArgumentException(
          "flat parameters are "
              + flat.getDataType()
              + flat.getShape()
              + " on "
              + flat.getDevice()
              + ", expected "
              + flatM.getDataType()
              + flatM.getShape()
              + " on "
              + flatM.getDevice());
    }
    // Views of the decaying ranges, made once: a step scales each in place (no temporary of the
    // flat size, as a mask and a select would need). All decaying: one run over the whole buffer.
    java.util.List<NDArray> runs = new java.util.ArrayList<>();
    long offset = 0;
    long runStart = -1;
    for (Slot x : slots.values()) {
      if (x.decays && runStart < 0) {
        runStart = offset;
      } else if (!x.decays && runStart >= 0) {
        runs.add(flat.get("{}:{}", runStart, offset));
        runStart = -1;
      }
      offset += x.p.getShape().size();
    }
    if (runStart >= 0) {
      runs.add(flat.get("{}:{}", runStart, offset));
    }
    for (NDArray r : runs) {
      r.attach(stateManager);
      NDScope.unregister(r);
    }
    decayRuns = runs;
    this.flatP = flat;
    return this;
  }

  /**
   * Turns the multi-tensor fast path on (the default) or off; off, every step takes the
   * per-parameter path (the slow twin; results are bitwise equal).
   */
  public AdamW multiTensor(boolean on) {
    this.multiTensor = on;
    return this;
  }

  /** All update counts are equal. */
  private boolean equalCounts() {
    return slots.values().stream().mapToLong(s -> s.t).distinct().count() <= 1;
  }

  /** Every parameter has a gradient and all update counts are equal. */
  private boolean allPresentInStep(Map<String, NDArray> grads) {
    long t = -1;
    for (Map.Entry<String, Slot> e : slots.entrySet()) {
      if (grads.get(e.getKey()) == null) {
        return false;
      }
      if (t >= 0 && e.getValue().t != t) {
        return false;
      }
      t = e.getValue().t;
    }
    return true;
  }

  /** A view of {@code flat[range]} with {@code shape} (the intermediate slice handle is freed). */
  private static NDArray viewOf(
      NDArray flat, ai.djl.ndarray.index.NDIndex range, ai.djl.ndarray.types.Shape shape) {
    NDArray slice = flat.get(range);
    NDArray view = slice.reshape(shape);
    slice.close();
    return view;
  }

  /** The fast path: one concatenated gradient, flat moments, one split of the update. */
  private void multiTensorStep(NDArray g, double lr) {
    double b1 = config.beta1();
    double b2 = config.beta2();
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      Scalars c = new Scalars();
      DataType dt = flatM.getDataType();
      long t = 0;
      for (Slot s : slots.values()) {
        t = ++s.t;
      }
      double bc1 = 1 - Math.pow(b1, t);
      double bc2 = 1 - Math.pow(b2, t);
      double stepSize = lr / bc1;
      double bc2Sqrt = Math.sqrt(bc2);
      // Every scalar of the step in one host-to-device copy, before the first update op: on a GPU
      // each copy waits for the device to finish what is queued (the update ops over the flat
      // buffers, a few ms each), so one copy per scalar made the host wait once per scalar.
      c.prefetch(
          dt,
          -(1 - b1),
          b2,
          1 - b2,
          bc2Sqrt,
          config.eps(),
          -stepSize,
          1 - lr * config.weightDecay());
      flatM.addi(flatM.sub(g).muli(c.of(-(1 - b1), dt)));
      flatV.muli(c.of(b2, dt)).addi(c.of(1 - b2, dt).mul(g).muli(g));
      NDArray denom = flatV.sqrt().divi(c.of(bc2Sqrt, dt)).addi(c.of(config.eps(), dt));
      NDArray update = flatM.div(denom).muli(c.of(-stepSize, dt));
      if (flatP != null) {
        // The same element-wise product and sum as below, on the flat buffer: the decay on each
        // run of adjacent decaying parameters, the update on the whole buffer.
        if (config.weightDecay() != 0) {
          NDArray factor = c.of(1 - lr * config.weightDecay(), dt);
          for (NDArray r : decayRuns) {
            r.muli(factor);
          }
        }
        flatP.addi(update);
        steps++;
        return;
      }
      ai.djl.ndarray.NDList parts =
          splits.length == 0 ? new ai.djl.ndarray.NDList(update) : update.split(splits);
      int i = 0;
      for (Slot s : slots.values()) {
        if (s.decays && config.weightDecay() != 0) {
          s.p.muli(c.of(1 - lr * config.weightDecay(), dt));
        }
        s.p.addi(parts.get(i++).reshape(s.p.getShape()));
      }
    }
    steps++;
  }

  /** The per-parameter path (torch's single-tensor AdamW), the fast path's slow twin. */
  private void perParameter(Map<String, NDArray> grads, double lr) {
    double b1 = config.beta1();
    double b2 = config.beta2();
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      Scalars c = new Scalars();
      for (Map.Entry<String, Slot> e : slots.entrySet()) {
        NDArray g = grads.get(e.getKey());
        if (g == null) {
          continue;
        }
        Slot s = e.getValue();
        DataType dt = s.p.getDataType();
        long t = ++s.t;
        double bc1 = 1 - Math.pow(b1, t);
        double bc2 = 1 - Math.pow(b2, t);
        double stepSize = lr / bc1;
        double bc2Sqrt = Math.sqrt(bc2);
        if (s.decays && config.weightDecay() != 0) {
          s.p.muli(c.of(1 - lr * config.weightDecay(), dt));
        }
        // torch: exp_avg.lerp_(grad, 1 - beta1); for weight < 0.5 lerp is self + w * (end - self).
        // (m - g) * (-w) is bitwise w * (g - m), and keeps the temporaries out of the parameters'
        // manager.
        s.m.addi(s.m.sub(g).muli(c.of(-(1 - b1), dt)));
        // torch: exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2), i.e. value * g * g
        s.v.muli(c.of(b2, dt)).addi(c.of(1 - b2, dt).mul(g).muli(g));
        // torch: denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
        NDArray denom = s.v.sqrt().divi(c.of(bc2Sqrt, dt)).addi(c.of(config.eps(), dt));
        // torch: param.addcdiv_(exp_avg, denom, value=-step_size), i.e. p + value * (m / denom)
        s.p.addi(s.m.div(denom).muli(c.of(-stepSize, dt)));
      }
    }
  }

  /** Adds the state tensors and metadata to a writer (bytes are read when the writer writes). */
  public void addTo(SafetensorsWriter w) {
    w.metadata(PREFIX + "steps", Long.toString(steps));
    w.metadata(PREFIX + "beta1", Double.toString(config.beta1()));
    w.metadata(PREFIX + "beta2", Double.toString(config.beta2()));
    w.metadata(PREFIX + "eps", Double.toString(config.eps()));
    w.metadata(PREFIX + "weight_decay", Double.toString(config.weightDecay()));
    for (Map.Entry<String, Slot> e : slots.entrySet()) {
      Slot s = e.getValue();
      TensorIo.put(w, PREFIX + "m." + e.getKey(), s.m);
      TensorIo.put(w, PREFIX + "v." + e.getKey(), s.v);
      w.addLongs(PREFIX + "t." + e.getKey(), new long[] {1}, new long[] {s.t});
    }
  }

  /** Writes the state to one safetensors file, atomically. */
  public void save(Path file) {
    SafetensorsWriter w = new SafetensorsWriter();
    addTo(w);
    w.write(file);
  }

  /**
   * Restores the state saved by {@link #save}, copying m and v in place. The file must hold exactly
   * this optimiser's parameters (names and shapes); hyperparameters come from this object's config,
   * not the file, so a resumed run can change them deliberately.
   *
   * @throws BadInputException naming the file and tensor for a missing, extra or mis-shaped tensor
   *     or bad metadata
   */
  public void load(Path file) {
    long savedSteps;
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      String s = f.metadata().get(PREFIX + "steps");
      try {
        savedSteps = Long.parseLong(Objects.requireNonNull(s));
      } catch (NumberFormatException | NullPointerException e) {
        throw new BadInputException(
            file + ": metadata '" + PREFIX + "steps' missing or not an integer: " + s);
      }
      if (savedSteps < 0) {
        throw new BadInputException(
            file + ": metadata '" + PREFIX + "steps' is negative: " + savedSteps);
      }
    }
    Set<String> expected = new TreeSet<>();
    for (String name : slots.keySet()) {
      expected.addAll(
          Arrays.asList(PREFIX + "m." + name, PREFIX + "v." + name, PREFIX + "t." + name));
    }
    try (CheckpointReader r = CheckpointReader.open(file)) {
      for (String n : r.names()) {
        if (!expected.contains(n)) {
          throw new BadInputException(
              file + ": unexpected tensor '" + n + "' (not a parameter of this optimiser)");
        }
      }
      Map<String, Long> ts = new HashMap<>();
      for (String name : slots.keySet()) {
        String tn = PREFIX + "t." + name;
        long[] t = r.readLongs(tn);
        if (t.length != 1 || t[0] < 0) {
          throw new BadInputException(file + ": tensor '" + tn + "' must hold one count >= 0");
        }
        ts.put(name, t[0]);
      }
      for (Map.Entry<String, Slot> e : slots.entrySet()) {
        TensorIo.copyInto(r, PREFIX + "m." + e.getKey(), e.getValue().m);
        TensorIo.copyInto(r, PREFIX + "v." + e.getKey(), e.getValue().v);
      }
      for (Map.Entry<String, Slot> e : slots.entrySet()) {
        e.getValue().t = ts.get(e.getKey());
      }
    }
    steps = savedSteps;
  }

  /** Frees the moments (not the parameters). */
  @Override
  public void close() {
    stateManager.close();
  }

  private Slot slot(String name) {
    Slot s = slots.get(name);
    if (s == null) {
      throw new IllegalArgumentException("no parameter '" + name + "' in this optimiser");
    }
    return s;
  }

  /** 0-d scalars of one step, one per (value, dtype); created in the step's scope. */
  private final class Scalars {
    private final Map<String, NDArray> made = new HashMap<>();

    /**
     * Makes the scalars for {@code values} in {@code dt} with one host-to-device copy (a float64
     * vector, cast once, then one 0-d view per value): the same values as {@link #of} would make
     * one by one (the same float64-to-{@code dt} rounding).
     */
    void prefetch(DataType dt, double... values) {
      NDArray d = stateManager.create(values);
      NDArray all = dt == DataType.FLOAT64 ? d : d.toType(dt, false);
      for (int i = 0; i < values.length; i++) {
        String k = dt + ":" + Double.doubleToRawLongBits(values[i]);
        if (!made.containsKey(k)) {
          made.put(k, all.get(i));
        }
      }
    }

    NDArray of(double value, DataType dt) {
      return made.computeIfAbsent(
          dt + ":" + Double.doubleToRawLongBits(value),
          k -> {
            NDArray d = stateManager.create(value);
            return dt == DataType.FLOAT64 ? d : d.toType(dt, false);
          });
    }
  }
}
