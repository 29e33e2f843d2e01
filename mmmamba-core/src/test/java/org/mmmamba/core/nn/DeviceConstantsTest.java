package org.mmmamba.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.RopeScaling;

/**
 * The device cache against what it replaces: scalars equal {@link Scalars#of} bit for bit and are
 * made once; RoPE rows equal {@link Rope#compute} (the host computation) bit for bit at every
 * start, across a capacity growth; ramps equal arange; cached arrays outlive the NDScope they were
 * first made in; the count stays bounded; concurrent callers get correct rows.
 */
class DeviceConstantsTest {
  static {
    Offline.init();
  }

  @BeforeEach
  @AfterEach
  void clear() {
    DeviceConstants.clear();
  }

  @Test
  void scalarsAreMadeOnceAndEqualTheUncachedTensor() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.create(new float[] {1.5f, -2f});
      NDArray a;
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        a = Scalars.constant(x, 1e-6);
      }
      // made inside a scope that is now closed: still alive and the same array on the next call
      assertSame(a, Scalars.constant(x, 1e-6));
      assertEquals(DataType.FLOAT64, a.getDataType());
      assertEquals(0, a.getShape().dimension());
      assertEquals(Double.doubleToLongBits(1e-6), Double.doubleToLongBits(a.getDouble()));
      try (NDArray fresh = Scalars.of(x, 1e-6)) {
        ScalarsTest.assertSameBits(x.add(fresh), Scalars.add(x, 1e-6), "add");
        ScalarsTest.assertSameBits(x.div(fresh), Scalars.div(x, 1e-6), "div");
      }
      // -inf and 0 in float16: the mask's two bias values
      NDArray inf =
          DeviceConstants.scalar(Device.cpu(), DataType.FLOAT16, Double.NEGATIVE_INFINITY);
      assertEquals(DataType.FLOAT16, inf.getDataType());
      // (an op on a cached array puts its result in the cache's manager: close it)
      try (NDArray widened = inf.toType(DataType.FLOAT32, false)) {
        assertEquals(Float.NEGATIVE_INFINITY, widened.getFloat());
      }
      assertEquals(2, DeviceConstants.arrayCount(), DeviceConstants.describe());
    }
  }

  @Test
  void scalarsAreBoundedPerDevice() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.create(new float[] {2f});
      for (int i = 0; i < DeviceConstants.MAX_SCALARS; i++) {
        assertNotNull(DeviceConstants.scalar(Device.cpu(), DataType.FLOAT64, i));
      }
      assertNull(DeviceConstants.scalar(Device.cpu(), DataType.FLOAT64, -1));
      // past the bound Scalars falls back to a fresh tensor: still the right value
      assertEquals(-2f, Scalars.mul(x, -1).getFloat());
      assertEquals(DeviceConstants.MAX_SCALARS, DeviceConstants.arrayCount());
    }
  }

  @Test
  void ropeRowsEqualTheHostComputationAcrossAGrowth() {
    Rope rope = new Rope(10000.0, RopeScaling.none(), 8);
    try (NDManager m = NDManager.newBaseManager()) {
      int[][] cases = {{0, 5}, {3, 1}, {17, 40}, {4090, 12}, {0, 9000}, {8999, 1}};
      for (int[] c : cases) {
        for (DataType dt : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
          NDList got = rope.tables(m, dt, c[0], c[1], c[0] + c[1]);
          NDList want = Rope.compute(m, dt, 10000.0, 1.0, 8, c[0], c[1]);
          for (int i = 0; i < 2; i++) {
            assertEquals(want.get(i).getShape(), got.get(i).getShape());
            assertEquals(dt, got.get(i).getDataType());
            assertArrayEquals(
                want.get(i).toType(DataType.FLOAT64, false).toDoubleArray(),
                got.get(i).toType(DataType.FLOAT64, false).toDoubleArray(),
                "start " + c[0] + " len " + c[1] + " " + dt);
          }
          // the caller owns the views: closing them leaves the cache intact
          got.close();
        }
      }
      // float32 and float64 tables (2 arrays each) after growing to 16384 rows; the old ones freed
      assertEquals(4, DeviceConstants.arrayCount());
    }
  }

  @Test
  void dynamicNtkBeyondTheTrainedLengthIsComputedNotCached() {
    Rope rope = new Rope(10000.0, new RopeScaling(RopeScaling.Type.DYNAMIC, 2.0, 16), 8);
    try (NDManager m = NDManager.newBaseManager()) {
      NDList got = rope.tables(m, DataType.FLOAT64, 0, 40, 40);
      double base = new RopeScaling(RopeScaling.Type.DYNAMIC, 2.0, 16).base(10000.0, 40, 8);
      assertTrue(base > 10000.0);
      NDList want = Rope.compute(m, DataType.FLOAT64, base, 1.0, 8, 0, 40);
      assertArrayEquals(want.get(0).toDoubleArray(), got.get(0).toDoubleArray());
      assertArrayEquals(want.get(1).toDoubleArray(), got.get(1).toDoubleArray());
      assertEquals(0, DeviceConstants.arrayCount());
    }
  }

  @Test
  void positionsAreTheRamp() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray p = DeviceConstants.positions(m, 5, 9);
      assertEquals(DataType.INT64, p.getDataType());
      assertArrayEquals(new long[] {5, 6, 7, 8}, p.toLongArray());
      assertArrayEquals(
          new long[] {5000, 5001}, DeviceConstants.positions(m, 5000, 5002).toLongArray());
      assertEquals(1, DeviceConstants.arrayCount());
    }
  }

  @Test
  void concurrentCallersGetTheirRows() throws Exception {
    Rope rope = new Rope(500000.0, RopeScaling.none(), 16);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (NDManager m = NDManager.newBaseManager()) {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int start = t * 1500; // the later ones force growths while the others read
        results.add(
            pool.submit(
                () -> {
                  try (NDManager own = m.newSubManager()) {
                    NDList got = rope.tables(own, DataType.FLOAT32, start, 700, start + 700);
                    NDList want =
                        Rope.compute(own, DataType.FLOAT32, 500000.0, 1.0, 16, start, 700);
                    return java.util.Arrays.equals(
                            want.get(0).toFloatArray(), got.get(0).toFloatArray())
                        && java.util.Arrays.equals(
                            want.get(1).toFloatArray(), got.get(1).toFloatArray());
                  }
                }));
      }
      for (Future<Boolean> f : results) {
        assertTrue(f.get());
      }
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void causalMasksAreRightAndBoundedAndOutliveEviction() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray first = DeviceConstants.causalMask(m, 3, 2, 6);
      assertEquals(DataType.BOOLEAN, first.getDataType());
      boolean[] want = new boolean[12];
      for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 6; j++) {
          want[i * 6 + j] = j <= 3 + i;
        }
      }
      assertArrayEquals(want, first.toBooleanArray());
      // the same key again: the same values from the cache, a new handle the caller may close
      try (NDArray again = DeviceConstants.causalMask(m, 3, 2, 6)) {
        assertArrayEquals(want, again.toBooleanArray());
      }
      for (int n = 1; n <= DeviceConstants.MAX_MASKS + 20; n++) {
        DeviceConstants.causalMask(m, 0, 1, n).close();
      }
      // bounded: the masks plus the position ramp
      assertTrue(DeviceConstants.arrayCount() <= DeviceConstants.MAX_MASKS + 1);
      // the first mask was evicted long ago; the view handed out still reads right
      assertArrayEquals(want, first.toBooleanArray());
    }
  }
}
