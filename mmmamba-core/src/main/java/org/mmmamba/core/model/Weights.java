package org.mmmamba.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.config.ParamNames;

/**
 * The parameter tensors of a model under canonical names ({@link ParamNames}), owned by one
 * manager.
 *
 * <p>Layers hold direct references to these arrays; optimisers update them in place, so a model
 * never has to be rebuilt after a step.
 */
public final class Weights implements AutoCloseable {
  private final NDManager manager;
  private final DataType dtype;
  private final Map<String, NDArray> tensors = new LinkedHashMap<>();

  /** An empty store whose arrays live in a new sub-manager of {@code parent}. */
  public Weights(NDManager parent, DataType dtype) {
    this.manager = parent.newSubManager();
    this.dtype = dtype;
  }

  /** The manager owning every tensor. */
  public NDManager manager() {
    return manager;
  }

  /** The compute dtype. */
  public DataType dtype() {
    return dtype;
  }

  /** Adds or replaces a tensor; it is attached to this store's manager and named. */
  public NDArray put(String name, NDArray a) {
    a.attach(manager);
    a.setName(name);
    ai.djl.ndarray.NDScope.unregister(a);
    NDArray old = tensors.put(name, a);
    if (old != null && old != a) {
      old.close();
    }
    return a;
  }

  /** The tensor; a missing one is a bug in the caller or a bad checkpoint, reported by name. */
  public NDArray get(String name) {
    NDArray a = tensors.get(name);
    if (a == null) {
      throw new BadInputException("missing tensor '" + name + "'");
    }
    return a;
  }

  /** The tensor or null. */
  public NDArray getOrNull(String name) {
    return tensors.get(name);
  }

  /** True if present. */
  public boolean contains(String name) {
    return tensors.containsKey(name);
  }

  /** Names in insertion order (unmodifiable). */
  public Set<String> names() {
    return Collections.unmodifiableSet(tensors.keySet());
  }

  /** Total number of scalars. */
  public long numel() {
    long n = 0;
    for (NDArray a : tensors.values()) {
      n += a.getShape().size();
    }
    return n;
  }

  /** Removes a tensor (closing it). */
  public void remove(String name) {
    NDArray a = tensors.remove(name);
    if (a != null) {
      a.close();
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
