package org.mmmamba.core.ssd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;
import org.mmmamba.core.ssd.SsdFixtures.Inputs;

/** Bad inputs fail fast with a message naming the tensor, the expected and the actual shape. */
class SsdShapesTest {
  static {
    Offline.init();
  }

  @Test
  void readsTheSizes() {
    try (NDManager m = NDManager.newBaseManager()) {
      Inputs in = SsdFixtures.random(m, 1, 2, 7, 3, 4, 5, true);
      assertEquals(
          new SsdShapes.Dims(2, 7, 3, 4, 5),
          SsdShapes.checkScan(in.x(), in.dt(), in.A(), in.B(), in.C(), in.s0()));
    }
  }

  @Test
  void namesTheBadTensorAndBothShapes() {
    try (NDManager m = NDManager.newBaseManager()) {
      Inputs in = SsdFixtures.random(m, 1, 2, 7, 3, 4, 5, true);
      NDArray badDt = m.zeros(new Shape(2, 7), DataType.FLOAT64);
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> Ssd.chunkedScan(in.x(), badDt, in.A(), in.B(), in.C(), 4, null));
      assertEquals(
          "SSD input dt: expected shape (B, L, H) = (2, 7, 3), got (2, 7)", e.getMessage());

      NDArray badState = m.zeros(new Shape(2, 3, 5, 4), DataType.FLOAT64);
      e =
          assertThrows(
              IllegalArgumentException.class,
              () -> Ssd.recurrentScan(in.x(), in.dt(), in.A(), in.B(), in.C(), badState));
      assertEquals(
          "SSD input initialState: expected shape (B, H, P, N) = (2, 3, 4, 5), got (2, 3, 5, 4)",
          e.getMessage());

      NDArray badC = m.zeros(new Shape(2, 7, 3, 6), DataType.FLOAT64);
      e =
          assertThrows(
              IllegalArgumentException.class,
              () -> Ssd.quadraticForm(in.x(), in.dt(), in.A(), in.B(), badC));
      assertTrue(e.getMessage().startsWith("SSD input C:"), e.getMessage());

      NDArray flatX = m.zeros(new Shape(2, 7, 12), DataType.FLOAT64);
      e =
          assertThrows(
              IllegalArgumentException.class,
              () -> Ssd.chunkedScan(flatX, in.dt(), in.A(), in.B(), in.C(), 4, null));
      assertEquals(
          "SSD input x: expected rank 4 (B, L, H, P), got shape (2, 7, 12)", e.getMessage());
    }
  }

  @Test
  void rejectsMixedDtypesNullsAndBadChunkSizes() {
    try (NDManager m = NDManager.newBaseManager()) {
      Inputs in = SsdFixtures.random(m, 1, 1, 4, 2, 2, 2, false);
      NDArray a32 = in.A().toType(DataType.FLOAT32, false);
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> Ssd.chunkedScan(in.x(), in.dt(), a32, in.B(), in.C(), 2, null));
      assertTrue(e.getMessage().startsWith("SSD input A: expected dtype float64"), e.getMessage());

      e =
          assertThrows(
              IllegalArgumentException.class,
              () -> Ssd.chunkedScan(in.x(), null, in.A(), in.B(), in.C(), 2, null));
      assertEquals("SSD input dt is null", e.getMessage());

      e =
          assertThrows(
              IllegalArgumentException.class,
              () -> Ssd.chunkedScan(in.x(), in.dt(), in.A(), in.B(), in.C(), 0, null));
      assertTrue(e.getMessage().contains("chunkSize"), e.getMessage());
    }
  }

  @Test
  void checksStepShapes() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray state = m.zeros(new Shape(1, 2, 3, 4), DataType.FLOAT64);
      NDArray x = m.zeros(new Shape(1, 2, 3), DataType.FLOAT64);
      NDArray dt = m.zeros(new Shape(1, 2), DataType.FLOAT64);
      NDArray a = m.zeros(new Shape(2), DataType.FLOAT64);
      NDArray b = m.zeros(new Shape(1, 2, 4), DataType.FLOAT64);
      NDArray wrongC = m.zeros(new Shape(1, 2, 3), DataType.FLOAT64);
      assertEquals(new SsdShapes.Dims(1, 1, 2, 3, 4), SsdShapes.checkStep(state, x, dt, a, b, b));
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Ssd.step(state, x, dt, a, b, wrongC));
      assertEquals(
          "SSD input C_t: expected shape (B, H, N) = (1, 2, 4), got (1, 2, 3)", e.getMessage());
      NDArray wrongState = m.zeros(new Shape(1, 2, 4, 3), DataType.FLOAT64);
      e =
          assertThrows(
              IllegalArgumentException.class, () -> Ssd.stepInPlace(wrongState, x, dt, a, b, b));
      assertTrue(e.getMessage().startsWith("SSD input state:"), e.getMessage());
    }
  }
}
