package org.mmmamba.core.ssd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;
import org.mmmamba.core.ssd.SsdFixtures.Inputs;
import org.mmmamba.core.ssd.SsdFixtures.Values;

/**
 * Autograd through {@link Ssd#chunkedScan} against central finite differences (float64, eps 1e-6),
 * for every input, on a length that is not a multiple of the chunk (so padding is on the path).
 *
 * <p>The loss is {@code sum(y·R) + sum(S_L·R')} with fixed random R, R', so the final-state path is
 * checked as well as y.
 */
class SsdGradientTest {
  static {
    Offline.init();
  }

  private static final long BATCH = 2;
  private static final long LENGTH = 7;
  private static final long HEADS = 2;
  private static final long HEAD_DIM = 3;
  private static final long STATE_DIM = 2;
  private static final int CHUNK = 3;
  private static final double EPS = 1e-6;
  private static final double REL_TOL = 1e-6;

  @Test
  void gradientsMatchFiniteDifferencesWithInitialState() {
    checkGradients(true, 11);
  }

  @Test
  void gradientsMatchFiniteDifferencesFromZeroState() {
    checkGradients(false, 12);
  }

  private static void checkGradients(boolean withInitialState, long seed) {
    Values v =
        SsdFixtures.randomValues(seed, BATCH, LENGTH, HEADS, HEAD_DIM, STATE_DIM, withInitialState);
    Random r = new Random(seed + 1000);
    double[] rY = SsdFixtures.uniform(r, BATCH * LENGTH * HEADS * HEAD_DIM, -1, 1);
    double[] rS = SsdFixtures.uniform(r, BATCH * HEADS * HEAD_DIM * STATE_DIM, -1, 1);

    try (NDManager m = NDManager.newBaseManager()) {
      Inputs in = v.create(m);
      NDArray[] leaves = {in.x(), in.dt(), in.A(), in.B(), in.C(), in.s0()};
      for (int i = 0; i < v.count(); i++) {
        leaves[i].setRequiresGradient(true);
      }
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray loss = loss(m, in, rY, rS);
        gc.backward(loss);
      }
      for (int i = 0; i < v.count(); i++) {
        double[] auto = leaves[i].getGradient().toDoubleArray();
        double[] numeric = finiteDifferences(v, i, rY, rS);
        double maxDiff = 0;
        double scale = 1;
        for (int k = 0; k < auto.length; k++) {
          maxDiff = Math.max(maxDiff, Math.abs(auto[k] - numeric[k]));
          scale = Math.max(scale, Math.abs(numeric[k]));
        }
        String name = Values.NAMES[i];
        assertTrue(
            maxDiff / scale <= REL_TOL,
            "d loss / d " + name + ": autograd vs finite differences differ by " + maxDiff);
      }
    }
  }

  /** sum(y·R) + sum(S_L·R') from the chunked scan. */
  private static NDArray loss(NDManager m, Inputs in, double[] rY, double[] rS) {
    ScanResult res = Ssd.chunkedScan(in.x(), in.dt(), in.A(), in.B(), in.C(), CHUNK, in.s0());
    NDArray wy = m.create(rY, new Shape(BATCH, LENGTH, HEADS, HEAD_DIM));
    NDArray ws = m.create(rS, new Shape(BATCH, HEADS, HEAD_DIM, STATE_DIM));
    return res.y().mul(wy).sum().add(res.finalState().mul(ws).sum());
  }

  /** Central differences of the loss with respect to every element of input {@code which}. */
  private static double[] finiteDifferences(Values v, int which, double[] rY, double[] rS) {
    double[] data = v.data()[which];
    double[] grad = new double[data.length];
    for (int k = 0; k < data.length; k++) {
      double saved = data[k];
      data[k] = saved + EPS;
      double up = evaluate(v, rY, rS);
      data[k] = saved - EPS;
      double down = evaluate(v, rY, rS);
      data[k] = saved;
      grad[k] = (up - down) / (2 * EPS);
    }
    return grad;
  }

  private static double evaluate(Values v, double[] rY, double[] rS) {
    try (NDManager m = NDManager.newBaseManager()) {
      return loss(m, v.create(m), rY, rS).getDouble();
    }
  }
}
