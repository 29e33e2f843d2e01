package org.mmmamba.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import java.util.function.Supplier;

/**
 * Frees a computation's temporaries as soon as it returns: runs it in its own {@link NDScope},
 * keeps only the result and hands it to the enclosing scope (if any). Safe under autograd: the
 * graph holds its own references to what backward needs, so closing the Java handles of
 * intermediates changes nothing but memory.
 */
public final class Scopes {
  private Scopes() {}

  /** Runs {@code f}; everything it created except the returned array is closed. */
  public static NDArray keepOnly(Supplier<NDArray> f) {
    NDArray out;
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      out = f.get();
      NDScope.unregister(out);
    }
    NDScope.register(out);
    return out;
  }

  /** Runs {@code f}; everything it created except the returned arrays is closed. */
  public static NDList keepOnlyList(Supplier<NDList> f) {
    NDList out;
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      out = f.get();
      NDScope.unregister(out);
    }
    for (NDArray a : out) {
      NDScope.register(a);
    }
    return out;
  }
}
