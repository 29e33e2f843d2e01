package org.mmmamba.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.LayerKind;
import org.mmmamba.core.config.Mamba2Config;
import org.mmmamba.core.config.ModelFamily;
import org.mmmamba.core.config.RopeScaling;
import org.mmmamba.core.config.VlmConfig;

/**
 * Tiny vision-language configs for tests: vocab 40, hidden 16, 2 heads / 1 kv head of dim 8, FFN
 * 32; tiles of 16x16 pixels, patch 4 (4x4 grid, 4 image tokens per tile); 2 embedding layers + 2
 * LLM layers. Ids: bos 1, eos 2, &lt;img&gt; 3, &lt;/img&gt; 4, &lt;IMG_CONTEXT&gt; 5.
 */
public final class VlmFixtures {
  public static final int CTX = 5;
  public static final int START = 3;
  public static final int END = 4;

  private VlmFixtures() {}

  /** All attention (a HoVLE-like teacher). */
  public static VlmConfig teacher() {
    return tiny(
        List.of(LayerKind.ATTENTION, LayerKind.ATTENTION, LayerKind.ATTENTION, LayerKind.ATTENTION),
        RopeScaling.none());
  }

  /** Mamba-2 layers in both parts (a hybrid student). */
  public static VlmConfig hybrid() {
    return tiny(
        List.of(LayerKind.MAMBA2, LayerKind.ATTENTION, LayerKind.MAMBA2, LayerKind.ATTENTION),
        RopeScaling.none());
  }

  /** A tiny config with the given layer kinds (E = 2) and RoPE scaling. */
  public static VlmConfig tiny(List<LayerKind> kinds, RopeScaling rope) {
    boolean mamba = kinds.contains(LayerKind.MAMBA2);
    DecoderConfig stack =
        new DecoderConfig(
            mamba ? ModelFamily.MMMAMBA : ModelFamily.INTERNLM2,
            40,
            16,
            kinds.size(),
            2,
            1,
            8,
            32,
            1e-5,
            10000.0,
            rope,
            64,
            false,
            false,
            false,
            mamba ? Mamba2Config.mmMamba(2, 1, 8, 2, 4) : null,
            kinds,
            true,
            1,
            List.of(2),
            0);
    return new VlmConfig(16, 4, 3, 0.5, 2, stack, CTX, START, END).validate("tiny");
  }

  /** Random pixels (T, 3, side, side) in [-1, 1). */
  public static NDArray pixels(NDManager m, int tiles, int side, long seed, DataType dt) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] v = new double[tiles * 3 * side * side];
    for (int i = 0; i < v.length; i++) {
      v[i] = 2 * r.nextDouble() - 1;
    }
    return m.create(v, new Shape(tiles, 3, side, side)).toType(dt, false);
  }

  /**
   * Two prompts of length 14 with images at the start: sample 0 has one tile (4 placeholders at
   * 2..5), sample 1 two tiles (8 placeholders at 1..8); both images end before position 10.
   */
  public static long[][] prompts() {
    return new long[][] {
      {1, START, CTX, CTX, CTX, CTX, END, 10, 11, 12, 13, 14, 15, 16},
      {START, CTX, CTX, CTX, CTX, CTX, CTX, CTX, CTX, END, 20, 21, 22, 23}
    };
  }

  /** Pixels for {@link #prompts()}: one tile, then two tiles. */
  public static List<NDArray> promptPixels(NDManager m, DataType dt) {
    List<NDArray> out = new ArrayList<>();
    out.add(pixels(m, 1, 16, 11, dt));
    out.add(pixels(m, 2, 16, 12, dt));
    return out;
  }
}
