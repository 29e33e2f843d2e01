package org.mmmamba.core.seed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Fixtures;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.config.LayerKind;
import org.mmmamba.core.config.ModelFamily;
import org.mmmamba.core.config.ParamNames;
import org.mmmamba.core.io.CheckpointReader;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.ModelIo;
import org.mmmamba.core.model.RandomWeights;

/**
 * Seeding values against docs/method.md §2.4, bit-exact inheritance (also from a packed InternLM2
 * checkpoint).
 */
class SeederTest {
  static {
    Offline.init();
  }

  /** 4 layers, D 32, H 4, G 2, P 8. */
  static final DecoderConfig TEACHER = DecoderConfig.llama(37, 32, 4, 4, 2, 8, 48);

  static double[] d(NDArray a) {
    return a.toType(DataType.FLOAT64, false).toDoubleArray();
  }

  static double[] w(DecoderModel model, String name) {
    return d(model.weights().get(name));
  }

  /**
   * seedSharingFrozen: the same student as seed (same logits), whose frozen tensors are the
   * teacher's storage (a write through the teacher shows in the student) while every mixer tensor,
   * W_O included, is a copy; closing the teacher leaves the student usable.
   */
  @Test
  void sharingFrozenAliasesOnlyTheFrozenTensors() {
    try (NDManager m = NDManager.newBaseManager()) {
      DecoderModel teacher = RandomWeights.model(TEACHER, m, DataType.FLOAT32, 3);
      HybridLayout layout = HybridLayout.parse("head-interleaved:2");
      NDArray ids = m.create(new long[] {1, 5, 9, 2, 30, 7}, new ai.djl.ndarray.types.Shape(1, 6));
      try (DecoderModel copied =
              Seeder.seed(
                  TEACHER, teacher.weights(), layout, InitStrategy.INHERIT_MIMIC, 7, 2, 4, m);
          DecoderModel shared =
              Seeder.seedSharingFrozen(
                  TEACHER, teacher.weights(), layout, InitStrategy.INHERIT_MIMIC, 7, 2, 4, m)) {
        assertEquals(copied.weights().names(), shared.weights().names());
        assertArrayEquals(d(copied.forward(ids)), d(shared.forward(ids)), 0.0);
        int aliased = 0;
        for (String n : shared.weights().names()) {
          NDArray st = shared.weights().get(n);
          boolean mixer = n.contains(".mamba.");
          if (!teacher.weights().contains(n)) {
            assertTrue(mixer, n);
            continue;
          }
          NDArray t = teacher.weights().get(n);
          double before = d(st)[0];
          t.set(new ai.djl.ndarray.index.NDIndex("..."), t.add(1));
          double after = d(st)[0];
          t.set(new ai.djl.ndarray.index.NDIndex("..."), t.sub(1));
          if (mixer) {
            assertEquals(before, after, 0.0, n + " must be a copy");
          } else {
            assertEquals(before + 1, after, 1e-6, n + " must share the teacher's storage");
            aliased++;
          }
        }
        assertTrue(aliased > 0, "no tensor was shared");
        // The W_O of a converted layer is a copy (stage results are loaded into mixers in place).
        NDArray wo = shared.weights().get(ParamNames.mamba(1, "W_O"));
        NDArray two = teacher.weights().get(ParamNames.attn(1, "W_O"));
        assertArrayEquals(d(two), d(wo), 0.0);
        wo.set(new ai.djl.ndarray.index.NDIndex("..."), wo.add(1));
        assertFalse(Arrays.equals(d(two), d(wo)), "W_O must be a copy");
        wo.set(new ai.djl.ndarray.index.NDIndex("..."), wo.sub(1));
        double[] before = d(shared.forward(ids));
        teacher.close();
        assertArrayEquals(before, d(shared.forward(ids)), 0.0);
      }
    }
  }

  @Test
  void inheritMimicValuesMatchTheSpec() {
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel teacher = RandomWeights.model(TEACHER, m, DataType.FLOAT32, 1);
        DecoderModel s =
            Seeder.seed(
                TEACHER,
                teacher.weights(),
                HybridLayout.parse("head-interleaved:2"),
                InitStrategy.INHERIT_MIMIC,
                7,
                3,
                16,
                m)) {
      assertEquals(ModelFamily.MMMAMBA, s.config().family());
      assertEquals(
          List.of(LayerKind.ATTENTION, LayerKind.MAMBA2, LayerKind.ATTENTION, LayerKind.MAMBA2),
          s.config().layerKinds());
      assertEquals(3, s.config().mamba().convKernel());
      assertEquals(16, s.config().mamba().chunkSize());
      assertEquals(8, s.config().mamba().stateDim());
      for (int i : new int[] {1, 3}) {
        // identity conv: tap K-1 (the current token) = 1, others 0; bias 0
        double[] conv = w(s, ParamNames.mamba(i, "conv.weight"));
        int k = 3;
        assertEquals((2 * 2 + 4) * 8 * k, conv.length);
        for (int c = 0; c < conv.length / k; c++) {
          for (int j = 0; j < k; j++) {
            assertEquals(j == k - 1 ? 1.0 : 0.0, conv[c * k + j], "conv[" + c + "," + j + "]");
          }
        }
        assertTrue(Arrays.stream(w(s, ParamNames.mamba(i, "conv.bias"))).allMatch(v -> v == 0));
        assertTrue(Arrays.stream(w(s, ParamNames.mamba(i, "W_dt"))).allMatch(v -> v == 0));
        assertTrue(Arrays.stream(w(s, ParamNames.mamba(i, "A_log"))).allMatch(v -> v == 1));
        assertTrue(Arrays.stream(w(s, ParamNames.mamba(i, "norm.weight"))).allMatch(v -> v == 1));
        double[] dtBias = w(s, ParamNames.mamba(i, "dt_bias"));
        assertEquals(4, dtBias.length);
        for (double b : dtBias) {
          double dt = Math.log1p(Math.exp(b));
          assertTrue(
              dt >= 1e-3 * (1 - 1e-5) && dt <= 1e-1 * (1 + 1e-5), "softplus(dt_bias) = " + dt);
        }
        assertEquals(4, Arrays.stream(dtBias).distinct().count(), "dt_bias drawn per head");
        assertGateInit(w(s, ParamNames.mamba(i, "W_G")), 32, 32);
        assertInherited(teacher, s, i);
      }
      assertCopied(teacher, s, Set.of(1, 3));
    }
  }

  /**
   * W_G ~ xavier_uniform(gain 2^-2.5): inside the bound, std about bound / sqrt(3), mean about 0.
   */
  static void assertGateInit(double[] g, int fanIn, int fanOut) {
    double bound = Math.pow(2, -2.5) * Math.sqrt(6.0 / (fanIn + fanOut));
    double mean = Arrays.stream(g).average().orElseThrow();
    double std = Math.sqrt(Arrays.stream(g).map(v -> (v - mean) * (v - mean)).sum() / g.length);
    assertTrue(Arrays.stream(g).allMatch(v -> Math.abs(v) <= bound), "W_G within +-" + bound);
    assertEquals(bound / Math.sqrt(3), std, 0.08 * bound / Math.sqrt(3), "W_G std");
    assertEquals(0, mean, 4 * bound / Math.sqrt(3) / Math.sqrt(g.length), "W_G mean");
  }

  /** W_C = W_Q, W_B = W_K, W_x = W_V, W_O = W_O, bit for bit. */
  static void assertInherited(DecoderModel teacher, DecoderModel s, int i) {
    String[][] pairs = {{"W_C", "W_Q"}, {"W_B", "W_K"}, {"W_x", "W_V"}, {"W_O", "W_O"}};
    for (String[] p : pairs) {
      assertArrayEquals(
          teacher.weights().get(ParamNames.attn(i, p[1])).toFloatArray(),
          s.weights().get(ParamNames.mamba(i, p[0])).toFloatArray(),
          p[0] + " of layer " + i);
    }
  }

  /** Every tensor outside the converted mixers equals the teacher's and is a separate copy. */
  static void assertCopied(DecoderModel teacher, DecoderModel s, Set<Integer> converted) {
    int copied = 0;
    for (String name : s.weights().names()) {
      if (name.contains(".mamba.")) {
        assertTrue(converted.contains(ParamNames.layerOf(name)), name);
        continue;
      }
      NDArray a = teacher.weights().get(name);
      NDArray b = s.weights().get(name);
      assertNotSame(a, b, name);
      assertArrayEquals(a.toFloatArray(), b.toFloatArray(), name);
      copied++;
    }
    for (String name : teacher.weights().names()) {
      int layer = ParamNames.layerOf(name);
      boolean convertedAttn = name.contains(".attn.") && converted.contains(layer);
      assertEquals(!convertedAttn, s.weights().contains(name), name);
    }
    assertTrue(copied > 0);
  }

  @Test
  void inheritUsesPyTorchDefaultsForTheNewParameters() {
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel teacher = RandomWeights.model(TEACHER, m, DataType.FLOAT32, 1);
        DecoderModel s = Seeder.seed(teacher, HybridLayout.linear(), InitStrategy.INHERIT, 7, m)) {
      for (int i = 0; i < 4; i++) {
        assertInherited(teacher, s, i);
        assertUniform(w(s, ParamNames.mamba(i, "conv.weight")), 1 / Math.sqrt(2), "conv.weight");
        assertUniform(w(s, ParamNames.mamba(i, "conv.bias")), 1 / Math.sqrt(2), "conv.bias");
        assertUniform(w(s, ParamNames.mamba(i, "W_dt")), 1 / Math.sqrt(32), "W_dt");
        assertTrue(Arrays.stream(w(s, ParamNames.mamba(i, "dt_bias"))).allMatch(v -> v == 0));
        for (double a : w(s, ParamNames.mamba(i, "A_log"))) {
          assertTrue(a >= 0 && a <= Math.log(16) + 1e-6, "A_log " + a);
        }
        assertGateInit(w(s, ParamNames.mamba(i, "W_G")), 32, 32);
        assertTrue(Arrays.stream(w(s, ParamNames.mamba(i, "norm.weight"))).allMatch(v -> v == 1));
      }
      assertCopied(teacher, s, Set.of(0, 1, 2, 3));
    }
  }

  static void assertUniform(double[] v, double bound, String what) {
    assertTrue(
        Arrays.stream(v).allMatch(x -> Math.abs(x) <= bound * (1 + 1e-6)),
        what + " within +-" + bound);
    assertTrue(
        Arrays.stream(v).map(Math::abs).max().orElseThrow() > bound / 4, what + " is not ~0");
    assertTrue(Arrays.stream(v).distinct().count() > v.length / 2, what + " is random");
  }

  @Test
  void scratchReplacesQkvButKeepsTheTeachersOutputProjection() {
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel teacher = RandomWeights.model(TEACHER, m, DataType.FLOAT32, 1);
        DecoderModel s =
            Seeder.seed(teacher, HybridLayout.parse("[0]"), InitStrategy.SCRATCH, 7, m)) {
      for (int i = 1; i < 4; i++) {
        for (String[] p : new String[][] {{"W_C", "W_Q"}, {"W_B", "W_K"}, {"W_x", "W_V"}}) {
          double[] got = w(s, ParamNames.mamba(i, p[0]));
          assertFalse(Arrays.equals(d(teacher.weights().get(ParamNames.attn(i, p[1]))), got), p[0]);
          assertUniform(got, 1 / Math.sqrt(32), p[0]);
        }
        assertArrayEquals(
            teacher.weights().get(ParamNames.attn(i, "W_O")).toFloatArray(),
            s.weights().get(ParamNames.mamba(i, "W_O")).toFloatArray());
        assertTrue(Arrays.stream(w(s, ParamNames.mamba(i, "dt_bias"))).allMatch(v -> v == 0));
      }
      assertCopied(teacher, s, Set.of(1, 2, 3));
    }
  }

  /**
   * The packed InternLM2 teacher's W_Q rows are the right head slices: equal to the Llama twin's
   * q_proj.
   */
  @Test
  void inheritFromAPackedInternLm2CheckpointTakesTheRightHeadSlices() {
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel teacher = ModelIo.load(Fixtures.dir("internlm2_packed"), m, DataType.FLOAT32);
        DecoderModel s = Seeder.seed(teacher, HybridLayout.linear(), InitStrategy.INHERIT, 3, m);
        CheckpointReader llama = CheckpointReader.open(Fixtures.dir("llama_for_internlm2"))) {
      assertEquals(ModelFamily.INTERNLM2, teacher.config().family());
      for (int i = 0; i < 2; i++) {
        String p = "model.layers." + i + ".self_attn.";
        assertArrayEquals(
            llama.readFloats(p + "q_proj.weight"),
            s.weights().get(ParamNames.mamba(i, "W_C")).toFloatArray(),
            "W_C of layer " + i);
        assertArrayEquals(
            llama.readFloats(p + "k_proj.weight"),
            s.weights().get(ParamNames.mamba(i, "W_B")).toFloatArray(),
            "W_B of layer " + i);
        assertArrayEquals(
            llama.readFloats(p + "v_proj.weight"),
            s.weights().get(ParamNames.mamba(i, "W_x")).toFloatArray(),
            "W_x of layer " + i);
        assertArrayEquals(
            llama.readFloats(p + "o_proj.weight"),
            s.weights().get(ParamNames.mamba(i, "W_O")).toFloatArray(),
            "W_O of layer " + i);
      }
    }
  }

  @Test
  void sameSeedSameStudentOtherSeedOtherStudent() {
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel teacher = RandomWeights.model(TEACHER, m, DataType.FLOAT32, 1);
        DecoderModel a = Seeder.seed(teacher, HybridLayout.linear(), InitStrategy.INHERIT, 11, m);
        DecoderModel b = Seeder.seed(teacher, HybridLayout.linear(), InitStrategy.INHERIT, 11, m);
        DecoderModel c = Seeder.seed(teacher, HybridLayout.linear(), InitStrategy.INHERIT, 12, m);
        DecoderModel hybrid =
            Seeder.seed(teacher, HybridLayout.parse("[0,2]"), InitStrategy.INHERIT, 11, m)) {
      assertEquals(a.weights().names(), b.weights().names());
      for (String n : a.weights().names()) {
        assertArrayEquals(a.weights().get(n).toFloatArray(), b.weights().get(n).toFloatArray(), n);
      }
      for (String role : new String[] {"W_G", "W_dt", "conv.weight", "conv.bias", "A_log"}) {
        String n = ParamNames.mamba(1, role);
        assertFalse(
            Arrays.equals(a.weights().get(n).toFloatArray(), c.weights().get(n).toFloatArray()), n);
        // a layer's init depends on (seed, layer, role) only, not on the layout
        assertArrayEquals(
            a.weights().get(n).toFloatArray(), hybrid.weights().get(n).toFloatArray(), n);
      }
      // different layers get different draws
      assertFalse(
          Arrays.equals(
              a.weights().get(ParamNames.mamba(1, "W_G")).toFloatArray(),
              a.weights().get(ParamNames.mamba(3, "W_G")).toFloatArray()));
    }
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel teacher = RandomWeights.model(TEACHER, m, DataType.FLOAT32, 1);
        DecoderModel a =
            Seeder.seed(teacher, HybridLayout.linear(), InitStrategy.INHERIT_MIMIC, 11, m);
        DecoderModel c =
            Seeder.seed(teacher, HybridLayout.linear(), InitStrategy.INHERIT_MIMIC, 12, m)) {
      String n = ParamNames.mamba(0, "dt_bias");
      assertFalse(
          Arrays.equals(a.weights().get(n).toFloatArray(), c.weights().get(n).toFloatArray()), n);
    }
  }

  @Test
  void teachersWithAttentionBiasesOrMambaLayersAreRejected() {
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel qwen = ModelIo.load(Fixtures.dir("qwen2_tied"), m, DataType.FLOAT32)) {
      BadInputException e =
          assertThrows(
              BadInputException.class,
              () -> Seeder.seed(qwen, HybridLayout.linear(), InitStrategy.INHERIT_MIMIC, 1, m));
      assertTrue(e.getMessage().contains("bias"), e.getMessage());
    }
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel student = ModelIo.load(Fixtures.dir("mmmamba_hybrid"), m, DataType.FLOAT32)) {
      BadInputException e =
          assertThrows(
              BadInputException.class,
              () -> Seeder.seed(student, HybridLayout.linear(), InitStrategy.INHERIT_MIMIC, 1, m));
      assertTrue(e.getMessage().contains("Mamba-2 layers"), e.getMessage());
    }
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel teacher = RandomWeights.model(TEACHER, m, DataType.FLOAT32, 1)) {
      BadInputException e =
          assertThrows(
              BadInputException.class,
              () ->
                  Seeder.seed(
                      teacher,
                      HybridLayout.parse("tail-stacked:5"),
                      InitStrategy.INHERIT_MIMIC,
                      1,
                      m));
      assertTrue(e.getMessage().contains("tail-stacked:5"), e.getMessage());
    }
  }

  @Test
  void initStrategyParses() {
    assertEquals(InitStrategy.SCRATCH, InitStrategy.parse("scratch"));
    assertEquals(InitStrategy.INHERIT, InitStrategy.parse("inherit"));
    assertEquals(InitStrategy.INHERIT_MIMIC, InitStrategy.parse("inherit_mimic"));
    assertEquals(InitStrategy.INHERIT_MIMIC, InitStrategy.parse("Inherit-Mimic"));
    assertEquals(InitStrategy.INHERIT_MIMIC, InitStrategy.DEFAULT);
    BadInputException e = assertThrows(BadInputException.class, () -> InitStrategy.parse("mimic"));
    assertTrue(e.getMessage().contains("'mimic'"), e.getMessage());
  }
}
