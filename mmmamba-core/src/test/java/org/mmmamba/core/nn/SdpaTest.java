package org.mmmamba.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;

/**
 * torch's fused attention through the module written by {@link Sdpa} against the full L x L
 * reference and the blocked path, for batch, GQA ratio, length and head size; where it is used (a
 * prefill from 0) and where not, and its gradients with autograd on against the reference's and the
 * blocked path's.
 */
class SdpaTest {
  static {
    Offline.init();
  }

  @Property(tries = 30)
  void fusedEqualsReference(
      @ForAll @IntRange(min = 1, max = 2) int b,
      @ForAll @IntRange(min = 1, max = 3) int g,
      @ForAll @IntRange(min = 1, max = 4) int r,
      @ForAll @IntRange(min = 2, max = 40) int l,
      @ForAll @IntRange(min = 1, max = 8) int halfP) {
    Offline.init();
    int p = 2 * halfP;
    try (NDManager m = NDManager.newBaseManager()) {
      m.getEngine().setRandomSeed(b * 1000 + g * 100 + r * 10 + l);
      for (DataType dt : new DataType[] {DataType.FLOAT64, DataType.FLOAT32}) {
        NDArray q = m.randomNormal(new Shape(b, g * r, l, p)).toType(dt, false);
        NDArray k = m.randomNormal(new Shape(b, g, l, p)).toType(dt, false);
        NDArray v = m.randomNormal(new Shape(b, g, l, p)).toType(dt, false);
        assertTrue(Sdpa.usable(q, k), "not usable with autograd off and Lq = Lk = " + l);
        NDArray fused = Sdpa.causal(q, k, v);
        assertNotNull(fused, "the module did not load");
        assertEquals(q.getShape(), fused.getShape());
        assertEquals(dt, fused.getDataType());
        NDArray slow = CausalAttention.reference(q, k, v);
        NDArray blocked = CausalAttention.attend(q, k, v, CausalAttention.DEFAULT_BLOCK_ELEMENTS);
        double tol = dt == DataType.FLOAT64 ? 1e-12 : 2e-6;
        double err = fused.sub(slow).abs().max().toType(DataType.FLOAT64, false).getDouble();
        assertTrue(err < tol, dt + " fused vs reference: " + err);
        double viaAttend =
            CausalAttention.attend(q, k, v)
                .sub(blocked)
                .abs()
                .max()
                .toType(DataType.FLOAT64, false)
                .getDouble();
        assertTrue(viaAttend < tol, dt + " attend() vs blocked: " + viaAttend);
      }
    }
  }

  @Test
  void float16MatchesFloat32WithinHalfPrecision() {
    try (NDManager m = NDManager.newBaseManager()) {
      m.getEngine().setRandomSeed(7);
      NDArray q = m.randomNormal(new Shape(1, 8, 33, 16));
      NDArray k = m.randomNormal(new Shape(1, 2, 33, 16));
      NDArray v = m.randomNormal(new Shape(1, 2, 33, 16));
      NDArray half =
          Sdpa.causal(
              q.toType(DataType.FLOAT16, false),
              k.toType(DataType.FLOAT16, false),
              v.toType(DataType.FLOAT16, false));
      assertEquals(DataType.FLOAT16, half.getDataType());
      double err =
          half.toType(DataType.FLOAT32, false)
              .sub(CausalAttention.reference(q, k, v))
              .abs()
              .max()
              .getFloat();
      assertTrue(err < 5e-3, "float16 fused vs float32 reference: " + err);
    }
  }

  @Test
  void usedForPrefillsWithOrWithoutAutogradNotForDecodeOrCachedPrefill() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray q = m.randomNormal(new Shape(1, 4, 5, 8));
      NDArray k = m.randomNormal(new Shape(1, 2, 5, 8));
      assertTrue(Sdpa.usable(q, k));
      assertFalse(Sdpa.usable(q.get(":, :, :1, :"), k), "decode: one query, many keys");
      assertFalse(Sdpa.usable(q.get(":, :, :3, :"), k), "queries after cached keys");
      assertFalse(Sdpa.usable(q.get(":, :, :1, :"), k.get(":, :, :1, :")), "one position");
      boolean was = JniUtils.isGradMode();
      JniUtils.setGradMode(true);
      try {
        assertTrue(Sdpa.usable(q, k), "autograd on: the module call records the fused backward");
      } finally {
        JniUtils.setGradMode(was);
      }
      String old = System.getProperty("mmmamba.sdpa");
      System.setProperty("mmmamba.sdpa", "false");
      try {
        assertFalse(Sdpa.usable(q, k), "-Dmmmamba.sdpa=false");
      } finally {
        if (old == null) {
          System.clearProperty("mmmamba.sdpa");
        } else {
          System.setProperty("mmmamba.sdpa", old);
        }
      }
    }
  }

  /**
   * The fused output (computed without a graph, as a teacher's) can enter a graph afterwards, as a
   * target does: a product with a trainable array, whose backward saves it.
   */
  @Test
  void fusedOutputCanBeSavedForBackward() {
    try (NDManager m = NDManager.newBaseManager()) {
      m.getEngine().setRandomSeed(5);
      NDArray q = m.randomNormal(new Shape(1, 4, 6, 8));
      NDArray k = m.randomNormal(new Shape(1, 2, 6, 8));
      NDArray v = m.randomNormal(new Shape(1, 2, 6, 8));
      NDArray target = GradMode.off(() -> CausalAttention.attend(q, k, v));
      NDArray x = m.randomNormal(new Shape(1, 4, 6, 8));
      x.setRequiresGradient(true);
      try (ai.djl.training.GradientCollector c =
          ai.djl.engine.Engine.getInstance().newGradientCollector()) {
        c.backward(x.mul(target).sum());
      }
      assertArrayEquals(target.toFloatArray(), x.getGradient().toFloatArray(), 0f);
    }
  }

  /**
   * With autograd on, attend() takes the fused path, and the gradients of q, k and v (GQA: k and v
   * repeated inside the module) are the L x L reference's and the blocked path's.
   */
  @Property(tries = 12)
  void gradientsWithAutogradOnAreTheReferences(
      @ForAll @IntRange(min = 1, max = 2) int b,
      @ForAll @IntRange(min = 1, max = 3) int r,
      @ForAll @IntRange(min = 2, max = 17) int l) {
    Offline.init();
    try (NDManager m = NDManager.newBaseManager()) {
      m.getEngine().setRandomSeed(b * 100 + r * 10 + l);
      int g = 2;
      NDArray q0 = m.randomNormal(new Shape(b, g * r, l, 4)).toType(DataType.FLOAT64, false);
      NDArray k0 = m.randomNormal(new Shape(b, g, l, 4)).toType(DataType.FLOAT64, false);
      NDArray v0 = m.randomNormal(new Shape(b, g, l, 4)).toType(DataType.FLOAT64, false);
      NDArray w = m.randomNormal(new Shape(b, g * r, l, 4)).toType(DataType.FLOAT64, false);
      double[][][] grads = new double[3][][];
      for (int i = 0; i < 3; i++) {
        NDArray q = q0.duplicate();
        NDArray k = k0.duplicate();
        NDArray v = v0.duplicate();
        for (NDArray x : new NDArray[] {q, k, v}) {
          x.setRequiresGradient(true);
        }
        try (ai.djl.training.GradientCollector c =
            ai.djl.engine.Engine.getInstance().newGradientCollector()) {
          if (i == 0) {
            assertTrue(Sdpa.usable(q, k), "fused path not taken with autograd on");
          }
          NDArray o =
              switch (i) {
                case 0 -> CausalAttention.attend(q, k, v);
                case 1 -> CausalAttention.reference(q, k, v);
                default -> CausalAttention.attend(q, k, v, CausalAttention.DEFAULT_BLOCK_ELEMENTS);
              };
          c.backward(o.mul(w).sum());
        }
        grads[i] =
            new double[][] {
              q.getGradient().toDoubleArray(),
              k.getGradient().toDoubleArray(),
              v.getGradient().toDoubleArray()
            };
      }
      String[] names = {"q", "k", "v"};
      for (int j = 0; j < 3; j++) {
        assertArrayEquals(grads[1][j], grads[0][j], 1e-12, "fused vs reference d" + names[j]);
        assertArrayEquals(grads[1][j], grads[2][j], 1e-12, "blocked vs reference d" + names[j]);
        double norm = 0;
        for (double x : grads[0][j]) {
          norm += x * x;
        }
        assertTrue(norm > 0, "no gradient reached " + names[j]);
      }
    }
  }
}
