package org.mmmamba.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.RandomWeights;
import org.mmmamba.core.seed.InitStrategy;
import org.mmmamba.core.seed.Seeder;

/**
 * {@code forward(u)} equals {@code outputProjection(mixBeforeOutput(u))} bit for bit, for attention
 * (GQA, the teacher) and for the Mamba-2 mixer: the layer-wise loss mixes once and projects that.
 */
class MixerOutputProjectionTest {
  static {
    Offline.init();
  }

  @Test
  void forwardIsTheProjectionOfTheMix() {
    DecoderConfig tc = DecoderConfig.llama(11, 12, 2, 4, 2, 4, 8);
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel teacher =
            new DecoderModel(tc, RandomWeights.create(tc, m, DataType.FLOAT32, 5, 0.3));
        DecoderModel student =
            Seeder.seed(
                tc,
                teacher.weights(),
                HybridLayout.linear(),
                InitStrategy.INHERIT_MIMIC,
                6,
                2,
                4,
                m)) {
      NDArray u = m.randomNormal(new Shape(2, 7, 12));
      for (DecoderModel model : new DecoderModel[] {teacher, student}) {
        Mixer mixer = model.layers().get(1).mixer();
        NDArray mix = mixer.mixBeforeOutput(u);
        assertEquals(4, mix.getShape().dimension());
        NDArray want = mixer.forward(u, null);
        NDArray got = mixer.outputProjection(mix);
        assertEquals(want.getShape(), got.getShape());
        assertArrayEquals(
            want.toFloatArray(), got.toFloatArray(), mixer.getClass().getSimpleName());
      }
    }
  }
}
