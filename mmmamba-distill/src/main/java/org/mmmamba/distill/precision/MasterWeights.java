package org.mmmamba.distill.precision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.mmmamba.core.nn.Scalars;

/**
 * Float32 master copies of a model's float16 trainable arrays (mixed precision, {@link
 * Precision#FP16_MIXED}). The model computes with its float16 arrays (they require gradients and
 * receive float16 gradients of the scaled loss); the optimiser, its moments and the checkpoints see
 * only the float32 masters; after each applied update the masters are rounded back into the model's
 * arrays, in place.
 *
 * <p>Shapes: every master has its model array's shape; only the dtype differs (FLOAT32 vs the
 * model's). The masters are views of one flat buffer ({@link #flat}), in the map's order.
 */
public final class MasterWeights implements AutoCloseable {
  private final Map<String, NDArray> model;
  private final Map<String, NDArray> masters = new LinkedHashMap<>();
  private final NDManager manager;
  private final NDArray flat;

  /**
   * @param model the model's trainable arrays, by name (any floating type; usually FLOAT16)
   */
  public MasterWeights(Map<String, NDArray> model) {
    if (model.isEmpty()) {
      throw new IllegalArgumentException("no trainable arrays");
    }
    this.model = new LinkedHashMap<>(model);
    this.manager = model.values().iterator().next().getManager().newSubManager();
    long total = 0;
    for (NDArray a : model.values()) {
      total += a.getShape().size();
    }
    // One float32 buffer, filled range by range (never the model's storage: a cast copies).
    NDArray f = manager.zeros(new Shape(total), DataType.FLOAT32);
    long offset = 0;
    for (Map.Entry<String, NDArray> e : model.entrySet()) {
      NDArray a = e.getValue();
      long n = a.getShape().size();
      NDArray slice = f.get("{}:{}", offset, offset + n);
      NDArray view = slice.reshape(a.getShape());
      slice.close();
      try (NDArray cast = a.toType(DataType.FLOAT32, false)) {
        view.set(new NDIndex("..."), cast);
      }
      view.attach(manager);
      ai.djl.ndarray.NDScope.unregister(view); // owned by this object, not by a caller's scope
      masters.put(e.getKey(), view);
      offset += n;
    }
    f.attach(manager);
    ai.djl.ndarray.NDScope.unregister(f);
    this.flat = f;
  }

  /**
   * The masters as one flat float32 buffer: master i (in {@link #masters} order) is the range
   * {@code [o_i, o_i + n_i)} of it, reshaped, {@code o_i} the sum of the earlier element counts.
   * Writing the buffer writes the masters (and the other way round): the optimiser updates it in a
   * few ops ({@code AdamW.parametersFlat}).
   */
  public NDArray flat() {
    return flat;
  }

  /** The float32 masters, by name (what AdamW updates and checkpoints store). */
  public Map<String, NDArray> masters() {
    return Collections.unmodifiableMap(masters);
  }

  /** The model's arrays, by name. */
  public Map<String, NDArray> model() {
    return Collections.unmodifiableMap(model);
  }

  /**
   * The float32 gradient of a master from its model array's gradient of the loss scaled by {@code
   * scale}: {@code float32(g) / scale} (a new array of the current scope).
   */
  public static NDArray masterGradient(NDArray modelGradient, double scale) {
    NDArray g32 = modelGradient.toType(DataType.FLOAT32, false);
    return scale == 1.0 ? g32 : Scalars.div(g32, scale);
  }

  /** Rounds every master into its model array, in place (the model keeps its storage and dtype). */
  public void copyToModel() {
    // One op per parameter: torch's index_put_ over "..." is a copy_, which rounds float32 into
    // the float16 destination as a cast would (MixedPrecisionTest checks model == float16(master)).
    for (Map.Entry<String, NDArray> e : masters.entrySet()) {
      model.get(e.getKey()).set(new NDIndex("..."), e.getValue());
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
