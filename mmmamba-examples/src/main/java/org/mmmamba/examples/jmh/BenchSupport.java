package org.mmmamba.examples.jmh;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import org.mmmamba.core.Offline;

/** Shared set-up of the microbenchmarks: offline engine, thread count, seeded random inputs. */
final class BenchSupport {
  static {
    Offline.init();
  }

  private BenchSupport() {}

  /**
   * A CPU manager with the engine seeded and its intra-op threads set ({@code threads} <= 0:
   * default).
   */
  static NDManager manager(int threads, int seed) {
    Engine e = Engine.getInstance();
    if (threads > 0) {
      JniUtils.setNumThreads(threads);
    }
    e.setRandomSeed(seed);
    return NDManager.newBaseManager(ai.djl.Device.cpu());
  }

  /** N(0, 1) float32 array. */
  static NDArray normal(NDManager m, long... shape) {
    return m.randomNormal(new Shape(shape));
  }

  /** U(lo, hi) float32 array. */
  static NDArray uniform(NDManager m, float lo, float hi, long... shape) {
    return m.randomUniform(lo, hi, new Shape(shape), DataType.FLOAT32);
  }
}
