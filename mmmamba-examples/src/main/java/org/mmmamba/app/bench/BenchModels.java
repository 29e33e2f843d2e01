package org.mmmamba.app.bench;

import java.util.ArrayList;
import java.util.List;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.LayerKind;
import org.mmmamba.core.config.Mamba2Config;
import org.mmmamba.core.config.ModelFamily;

/**
 * The benchmark's three models, all of one size: an all-attention teacher (family LLAMA), the
 * linear student (every mixer Mamba-2) and the hybrid (attention kept at {@code
 * hybrid_attention_layers}). Students use {@link Mamba2Config#mmMamba} with N = P, as distillation
 * from the teacher produces.
 */
public final class BenchModels {
  private BenchModels() {}

  /** The decoder config of {@code which}. */
  public static DecoderConfig config(BenchConfig c, BenchModel which) {
    BenchConfig.Dims d = c.model();
    DecoderConfig teacher =
        DecoderConfig.llama(
            d.vocab(), d.dModel(), d.layers(), d.heads(), d.kvHeads(), d.headDim(), d.ffn());
    if (which == BenchModel.TEACHER) {
      return teacher;
    }
    List<LayerKind> kinds = new ArrayList<>();
    for (int i = 0; i < d.layers(); i++) {
      boolean attn = which == BenchModel.HYBRID && c.hybridAttentionLayers().contains(i);
      kinds.add(attn ? LayerKind.ATTENTION : LayerKind.MAMBA2);
    }
    Mamba2Config m =
        Mamba2Config.mmMamba(d.heads(), d.kvHeads(), d.headDim(), d.convKernel(), d.chunkSize());
    return teacher.withLayers(ModelFamily.MMMAMBA, kinds, m);
  }

  /**
   * Builds {@code which} with random weights (std 0.02) on {@code m}'s device: on the CPU with
   * {@link org.mmmamba.core.model.RandomWeights#model} (the figures so far), elsewhere with the
   * engine's RNG ({@link org.mmmamba.core.model.RandomWeights#modelOnEngine}: seconds at HoVLE's
   * size, where drawing 2.6 G values in Java takes minutes).
   */
  public static org.mmmamba.core.model.DecoderModel build(
      BenchConfig c,
      BenchModel which,
      ai.djl.ndarray.NDManager m,
      ai.djl.ndarray.types.DataType dt) {
    DecoderConfig dc = config(c, which);
    return m.getDevice().isGpu()
        ? org.mmmamba.core.model.RandomWeights.modelOnEngine(dc, m, dt, c.seed())
        : org.mmmamba.core.model.RandomWeights.model(dc, m, dt, c.seed());
  }
}
