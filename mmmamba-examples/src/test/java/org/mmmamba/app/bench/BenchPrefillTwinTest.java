package org.mmmamba.app.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mmmamba.core.Offline;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.ModelCache;
import org.mmmamba.core.model.RandomWeights;

/**
 * The benchmark's layer-scoped prefill ({@link Points#prefillHidden}) against its obviously correct
 * twin, {@link DecoderModel#hidden}: same hidden states, and caches that continue identically.
 */
class BenchPrefillTwinTest {
  static {
    Offline.init();
  }

  @ParameterizedTest
  @EnumSource(BenchModel.class)
  void layerScopedPrefillEqualsHidden(BenchModel which) throws Exception {
    BenchConfig c = BenchConfig.load(BenchSmokeTest.repoFile("configs/bench/smoke.yaml"));
    long[] ids = Points.randomIds(new java.util.SplittableRandom(3), 37, c.model().vocab());
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel model =
            RandomWeights.model(BenchModels.config(c, which), m, DataType.FLOAT32, 1);
        ModelCache a = model.newCache(m, 1, 40);
        ModelCache b = model.newCache(m, 1, 40);
        NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray idArr = m.create(ids, new Shape(1, ids.length));
      float[] expected = model.hidden(model.embed(idArr), a).toFloatArray();
      float[] actual = Points.prefillHidden(model, model.embed(idArr), b).toFloatArray();
      assertArrayEquals(expected, actual, 0f);
      assertEquals(a.length(), b.length());
      long next = 5;
      assertEquals(Points.step(model, a, next, m), Points.step(model, b, next, m));
    }
  }
}
