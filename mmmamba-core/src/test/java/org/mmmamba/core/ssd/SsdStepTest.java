package org.mmmamba.core.ssd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mmmamba.core.ssd.SsdFixtures.maxAbsDiff;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mmmamba.core.Offline;
import org.mmmamba.core.ssd.SsdFixtures.Inputs;

/** Step forms, state hand-over between scans, and the prefill → decode hand-over. */
class SsdStepTest {
  static {
    Offline.init();
  }

  private static final double TOL = 1e-10;

  @Test
  void stepAndStepInPlaceAgreeAndOnlyInPlaceMutates() {
    try (NDManager m = NDManager.newBaseManager()) {
      Inputs in = SsdFixtures.random(m, 5, 2, 6, 3, 4, 5, true);
      NDArray functional = in.s0();
      NDArray owned = in.s0().duplicate();
      for (long t = 0; t < in.length(); t++) {
        NDArray xt = in.x().get(":, {}", t);
        NDArray dtt = in.dt().get(":, {}", t);
        NDArray bt = in.B().get(":, {}", t);
        NDArray ct = in.C().get(":, {}", t);
        NDArray before = functional.duplicate();
        StepResult r = Ssd.step(functional, xt, dtt, in.A(), bt, ct);
        assertEquals(0.0, maxAbsDiff(before, functional), "step must not touch its input state");
        NDArray y = Ssd.stepInPlace(owned, xt, dtt, in.A(), bt, ct);
        assertEquals(new Shape(2, 3, 4), y.getShape());
        assertTrue(maxAbsDiff(r.y(), y) <= TOL, "y at t=" + t);
        assertTrue(maxAbsDiff(r.state(), owned) <= TOL, "state at t=" + t);
        functional = r.state();
      }
      assertTrue(maxAbsDiff(in.s0(), owned) > 0.01, "stepInPlace must update the state");
    }
  }

  /** The decode fast path's column layout against the functional step, token by token. */
  @Test
  void stepInPlaceColumnsAgreesWithStep() {
    try (NDManager m = NDManager.newBaseManager()) {
      Inputs in = SsdFixtures.random(m, 7, 2, 6, 3, 4, 5, true);
      NDArray functional = in.s0();
      NDArray owned = in.s0().duplicate();
      NDArray aColumn = in.A().reshape(3, 1, 1);
      for (long t = 0; t < in.length(); t++) {
        NDArray xt = in.x().get(":, {}", t);
        NDArray dtt = in.dt().get(":, {}", t);
        NDArray bt = in.B().get(":, {}", t);
        NDArray ct = in.C().get(":, {}", t);
        StepResult r = Ssd.step(functional, xt, dtt, in.A(), bt, ct);
        NDArray y =
            Ssd.stepInPlaceColumns(
                owned,
                xt.expandDims(-1),
                dtt.reshape(2, 3, 1, 1),
                aColumn,
                bt.expandDims(-2),
                ct.expandDims(-1));
        assertEquals(new Shape(2, 3, 4, 1), y.getShape());
        assertTrue(maxAbsDiff(r.y(), y.squeeze(-1)) <= TOL, "y at t=" + t);
        assertTrue(maxAbsDiff(r.state(), owned) <= TOL, "state at t=" + t);
        functional = r.state();
      }
      assertTrue(maxAbsDiff(in.s0(), owned) > 0.01, "stepInPlaceColumns must update the state");
    }
  }

  @Test
  void stepInPlaceColumnsNamesAWrongShape() {
    try (NDManager m = NDManager.newBaseManager()) {
      Inputs in = SsdFixtures.random(m, 7, 2, 6, 3, 4, 5, true);
      NDArray xt = in.x().get(":, 0").expandDims(-1);
      NDArray bt = in.B().get(":, 0");
      IllegalArgumentException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              IllegalArgumentException.class,
              () ->
                  Ssd.stepInPlaceColumns(
                      in.s0(),
                      xt,
                      in.dt().get(":, 0").reshape(2, 3, 1, 1),
                      in.A().reshape(3, 1, 1),
                      bt.expandDims(-2),
                      bt.expandDims(-2)));
      assertTrue(e.getMessage().contains("C_t"), e.getMessage());
    }
  }

  /** Scanning [0, L) equals scanning [0, k) and then [k, L) from the first final state. */
  @ParameterizedTest
  @CsvSource({"17, 5, 4", "17, 8, 4", "9, 1, 16", "9, 8, 3", "12, 6, 6", "2, 1, 1"})
  void stateCarriesAcrossScans(long length, long split, int chunk) {
    try (NDManager m = NDManager.newBaseManager()) {
      for (boolean withInit : new boolean[] {false, true}) {
        Inputs in = SsdFixtures.random(m, length * 31 + split, 2, length, 2, 3, 4, withInit);
        ScanResult whole = Ssd.chunkedScan(in.x(), in.dt(), in.A(), in.B(), in.C(), chunk, in.s0());
        String head = ":, :{}";
        String tail = ":, {}:";
        ScanResult first =
            Ssd.chunkedScan(
                in.x().get(head, split),
                in.dt().get(head, split),
                in.A(),
                in.B().get(head, split),
                in.C().get(head, split),
                chunk,
                in.s0());
        ScanResult second =
            Ssd.chunkedScan(
                in.x().get(tail, split),
                in.dt().get(tail, split),
                in.A(),
                in.B().get(tail, split),
                in.C().get(tail, split),
                chunk,
                first.finalState());
        NDArray joined = first.y().concat(second.y(), 1);
        assertTrue(maxAbsDiff(whole.y(), joined) <= TOL, "y");
        assertTrue(maxAbsDiff(whole.finalState(), second.finalState()) <= TOL, "final state");
      }
    }
  }

  /** Prefill [0, k) with chunkedScan, then decode the rest with stepInPlace on the final state. */
  @Test
  void prefillThenDecodeEqualsOneScan() {
    try (NDManager m = NDManager.newBaseManager()) {
      Inputs in = SsdFixtures.random(m, 77, 1, 13, 2, 4, 3, false);
      long k = 7;
      ScanResult whole = Ssd.chunkedScan(in.x(), in.dt(), in.A(), in.B(), in.C(), 4, null);
      ScanResult prefill =
          Ssd.chunkedScan(
              in.x().get(":, :{}", k),
              in.dt().get(":, :{}", k),
              in.A(),
              in.B().get(":, :{}", k),
              in.C().get(":, :{}", k),
              4,
              null);
      NDArray state = prefill.finalState().duplicate();
      for (long t = k; t < in.length(); t++) {
        NDArray y =
            Ssd.stepInPlace(
                state,
                in.x().get(":, {}", t),
                in.dt().get(":, {}", t),
                in.A(),
                in.B().get(":, {}", t),
                in.C().get(":, {}", t));
        assertTrue(maxAbsDiff(whole.y().get(":, {}", t), y) <= TOL, "y at t=" + t);
      }
      assertTrue(maxAbsDiff(whole.finalState(), state) <= TOL, "final state");
    }
  }

  /** Float32 works too (looser tolerance): the dtype follows the inputs. */
  @Test
  void float32ChunkedMatchesRecurrent() {
    try (NDManager m = NDManager.newBaseManager()) {
      Inputs d = SsdFixtures.random(m, 3, 2, 21, 2, 4, 4, true);
      NDArray[] f = new NDArray[6];
      NDArray[] src = {d.x(), d.dt(), d.A(), d.B(), d.C(), d.s0()};
      for (int i = 0; i < 6; i++) {
        f[i] = src[i].toType(DataType.FLOAT32, false);
      }
      ScanResult fast = Ssd.chunkedScan(f[0], f[1], f[2], f[3], f[4], 8, f[5]);
      ScanResult slow = Ssd.recurrentScan(f[0], f[1], f[2], f[3], f[4], f[5]);
      assertEquals(DataType.FLOAT32, fast.y().getDataType());
      assertEquals(DataType.FLOAT32, fast.finalState().getDataType());
      assertTrue(maxAbsDiff(fast.y(), slow.y()) <= 1e-5);
      assertTrue(maxAbsDiff(fast.finalState(), slow.finalState()) <= 1e-5);
    }
  }
}
