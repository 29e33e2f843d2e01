package org.mmmamba.core.ssd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;
import org.mmmamba.core.ssd.SsdFixtures.Inputs;

/**
 * Ownership: results land in x's manager, nothing else is left behind, and a capped manager holding
 * A (as a model's parameter manager would be) never receives an array.
 */
class SsdMemoryTest {
  static {
    Offline.init();
  }

  @Test
  void resultsBelongToXsManagerAndTemporariesAreClosed() {
    try (NDManager data = NDManager.newBaseManager();
        NDManager params = NDManager.newBaseManager();
        NDManager out = NDManager.newBaseManager()) {
      Inputs in = SsdFixtures.random(data, 9, 2, 11, 2, 3, 4, true);
      NDArray a = in.A().duplicate();
      a.attach(params);
      params.cap();
      NDArray x = in.x().duplicate();
      x.attach(out);
      int dataBefore = data.getManagedArrays().size();
      int paramsBefore = params.getManagedArrays().size();

      ScanResult chunked = Ssd.chunkedScan(x, in.dt(), a, in.B(), in.C(), 4, in.s0());
      assertSame(out, chunked.y().getManager());
      assertSame(out, chunked.finalState().getManager());
      assertEquals(3, out.getManagedArrays().size(), "x, y, final state");

      ScanResult rec = Ssd.recurrentScan(x, in.dt(), a, in.B(), in.C(), null);
      NDArray quad = Ssd.quadraticForm(x, in.dt(), a, in.B(), in.C());
      assertSame(out, rec.y().getManager());
      assertSame(out, quad.getManager());
      assertEquals(6, out.getManagedArrays().size(), "plus 2 + 1 results");

      NDArray xt = x.get(":, 0");
      int outBefore = out.getManagedArrays().size();
      StepResult step =
          Ssd.step(in.s0(), xt, in.dt().get(":, 0"), a, in.B().get(":, 0"), in.C().get(":, 0"));
      assertSame(out, step.y().getManager());
      assertSame(out, step.state().getManager());
      assertEquals(outBefore + 2, out.getManagedArrays().size());
      NDArray yt =
          Ssd.stepInPlace(
              step.state(), xt, in.dt().get(":, 0"), a, in.B().get(":, 0"), in.C().get(":, 0"));
      assertSame(out, yt.getManager());
      assertEquals(outBefore + 3, out.getManagedArrays().size());

      // data only gained the step-input slices made by this test (3 per step call, 2 calls)
      assertEquals(dataBefore + 6, data.getManagedArrays().size());
      assertEquals(paramsBefore, params.getManagedArrays().size());
    }
  }

  @Test
  void underAutogradTemporariesAreClosedAndGradientsStillFlow() {
    try (NDManager m = NDManager.newBaseManager()) {
      Inputs in = SsdFixtures.random(m, 4, 1, 10, 2, 2, 3, false);
      in.x().setRequiresGradient(true);
      in.A().setRequiresGradient(true);
      int before = m.getManagedArrays().size();
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        ScanResult r = Ssd.chunkedScan(in.x(), in.dt(), in.A(), in.B(), in.C(), 3, null);
        assertEquals(before + 2, m.getManagedArrays().size(), "only y and the final state");
        gc.backward(r.y().sum());
      }
      double gx = in.x().getGradient().abs().sum().getDouble();
      double ga = in.A().getGradient().abs().sum().getDouble();
      assertTrue(gx > 0 && ga > 0, "gradients reach x and A");
    }
  }

  @Test
  void resultsJoinTheCallersScope() {
    try (NDManager m = NDManager.newBaseManager()) {
      Inputs in = SsdFixtures.random(m, 6, 1, 5, 1, 2, 2, false);
      ScanResult r;
      try (NDScope scope = new NDScope()) {
        r = Ssd.chunkedScan(in.x(), in.dt(), in.A(), in.B(), in.C(), 2, null);
        assertTrue(!r.y().isReleased());
      }
      assertTrue(r.y().isReleased(), "the caller's scope closes y");
      assertTrue(r.finalState().isReleased(), "the caller's scope closes the final state");
      assertTrue(!in.x().isReleased(), "inputs are untouched");
    }
  }
}
