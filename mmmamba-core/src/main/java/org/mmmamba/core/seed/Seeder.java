package org.mmmamba.core.seed;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.config.LayerKind;
import org.mmmamba.core.config.Mamba2Config;
import org.mmmamba.core.config.ModelFamily;
import org.mmmamba.core.config.ParamNames;
import org.mmmamba.core.config.VlmConfig;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.RandomWeights;
import org.mmmamba.core.model.Weights;

/**
 * Attention to Mamba-2 seeding (docs/method.md §2.4): builds a student (family {@link
 * ModelFamily#MMMAMBA}) from a Transformer teacher, in one place.
 *
 * <ul>
 *   <li>Every tensor outside the mixers of converted layers (embeddings, norms, MLPs, LM head) and
 *       the whole attention of every layer the {@link HybridLayout} keeps are copied from the
 *       teacher.
 *   <li>Converted layer i: W_C = W_Q, W_B = W_K, W_x = W_V (inherited; under {@link
 *       InitStrategy#SCRATCH} replaced by PyTorch's default Linear init), W_O = the teacher's W_O
 *       in every strategy; the new parameters (conv, W_dt, dt_bias, A_log, W_G, norm weight) as
 *       {@link MambaInit} gives them.
 *   <li>Mixer dims from the teacher: H heads, G = kv heads, P = d_state = head dim ({@link
 *       Mamba2Config#mmMamba}); no D skip.
 * </ul>
 *
 * <p>Deterministic from the seed: each new parameter of layer i comes from its own {@link
 * MambaInit#stream(long, int, String)} (java.util.SplittableRandom, not the engine RNG), so the
 * same seed gives a bit-identical student and a layer's init does not depend on the layout.
 *
 * <p>Teachers with attention biases (Qwen2's q/k/v biases, or {@code attention_bias}/{@code bias =
 * true}) are rejected with a {@link BadInputException}: the mmMamba mixer has no projection biases,
 * and a bias on B and C does not fold into a bias-free linear map (only into the conv bias, and
 * only while the conv is the identity), so we do not pretend to convert them.
 */
public final class Seeder {
  /** mmMamba's conv kernel (d_conv). */
  public static final int DEFAULT_CONV_KERNEL = 2;

  /** mmMamba's SSD chunk size. */
  public static final int DEFAULT_CHUNK_SIZE = 128;

  private Seeder() {}

  /**
   * Seeds a student from a loaded teacher with the default conv kernel (2) and chunk size (128).
   */
  public static DecoderModel seed(
      DecoderModel teacher, HybridLayout layout, InitStrategy init, long seed, NDManager m) {
    return seed(
        teacher.config(),
        teacher.weights(),
        layout,
        init,
        seed,
        DEFAULT_CONV_KERNEL,
        DEFAULT_CHUNK_SIZE,
        m);
  }

  /**
   * Seeds a student from a teacher's config and weights with the default conv kernel and chunk
   * size.
   */
  public static DecoderModel seed(
      DecoderConfig teacherCfg,
      Weights teacherWeights,
      HybridLayout layout,
      InitStrategy init,
      long seed,
      NDManager m) {
    return seed(
        teacherCfg, teacherWeights, layout, init, seed, DEFAULT_CONV_KERNEL, DEFAULT_CHUNK_SIZE, m);
  }

  /**
   * Seeds a student.
   *
   * @param teacherCfg an all-attention decoder (Llama, InternLM2, or an mmMamba config with no
   *     Mamba layer)
   * @param teacherWeights its weights (not modified; the student gets its own copies, in the same
   *     dtype)
   * @param layout which layers stay attention
   * @param init how converted mixers are initialised
   * @param seed RNG seed of the new parameters
   * @param convKernel causal conv width d_conv (&gt;= 1)
   * @param chunkSize SSD chunk length (&gt;= 1)
   * @param m parent manager of the student's weights
   * @return the student; closing it frees its weights
   */
  public static DecoderModel seed(
      DecoderConfig teacherCfg,
      Weights teacherWeights,
      HybridLayout layout,
      InitStrategy init,
      long seed,
      int convKernel,
      int chunkSize,
      NDManager m) {
    DecoderConfig sc = studentConfig(teacherCfg, layout, convKernel, chunkSize);
    return seed(sc, g -> sc, teacherWeights, init, seed, m, false);
  }

  /**
   * Seeds the student of a published HoVLE teacher whose embedding layers have dims of their own
   * ({@link VlmConfig#layerDims}): layer g of the student gets the shapes, Mamba-2 dims and RoPE of
   * {@code teacher.withStack(student stack).layerDims(g)}.
   *
   * @return the student's joint decoder, built with those per-layer dims
   */
  public static DecoderModel seed(
      VlmConfig teacher,
      Weights teacherWeights,
      HybridLayout layout,
      InitStrategy init,
      long seed,
      int convKernel,
      int chunkSize,
      NDManager m) {
    return seedVlm(teacher, teacherWeights, layout, init, seed, convKernel, chunkSize, m, false);
  }

  /**
   * As {@link #seed(DecoderConfig, Weights, HybridLayout, InitStrategy, long, int, int,
   * NDManager)}, but the tensors that no distillation stage trains or writes (embeddings, norms,
   * MLPs, the LM head, kept attention layers: everything outside the converted mixers) are views of
   * the teacher's arrays instead of copies. The distillation's students share them with the teacher
   * as the reference code's do: at HoVLE's dims 1.99 billion parameters, 8.0 GB in fp32, not held
   * twice (docs/benchmarks.md#h100). The storage lives while either model does; the student must
   * never train or write those tensors (that would change the teacher). The converted mixers'
   * tensors, W_O included, are copies as in {@code seed}.
   */
  public static DecoderModel seedSharingFrozen(
      DecoderConfig teacherCfg,
      Weights teacherWeights,
      HybridLayout layout,
      InitStrategy init,
      long seed,
      int convKernel,
      int chunkSize,
      NDManager m) {
    DecoderConfig sc = studentConfig(teacherCfg, layout, convKernel, chunkSize);
    return seed(sc, g -> sc, teacherWeights, init, seed, m, true);
  }

  /** {@link #seedSharingFrozen} for a published HoVLE teacher with per-layer dims. */
  public static DecoderModel seedSharingFrozen(
      VlmConfig teacher,
      Weights teacherWeights,
      HybridLayout layout,
      InitStrategy init,
      long seed,
      int convKernel,
      int chunkSize,
      NDManager m) {
    return seedVlm(teacher, teacherWeights, layout, init, seed, convKernel, chunkSize, m, true);
  }

  private static DecoderModel seedVlm(
      VlmConfig teacher,
      Weights teacherWeights,
      HybridLayout layout,
      InitStrategy init,
      long seed,
      int convKernel,
      int chunkSize,
      NDManager m,
      boolean shareFrozen) {
    DecoderConfig sc = studentConfig(teacher.stack(), layout, convKernel, chunkSize);
    VlmConfig student = teacher.withStack(sc);
    return seed(sc, student::layerDims, teacherWeights, init, seed, m, shareFrozen);
  }

  private static DecoderModel seed(
      DecoderConfig sc,
      IntFunction<DecoderConfig> dims,
      Weights teacherWeights,
      InitStrategy init,
      long seed,
      NDManager m,
      boolean shareFrozen) {
    Weights w = new Weights(m, teacherWeights.dtype());
    try {
      Set<String> consumed = new HashSet<>();
      Map<String, long[]> shapes = new java.util.LinkedHashMap<>();
      Map<Integer, Map<String, long[]>> perLayer = new HashMap<>();
      for (Map.Entry<String, long[]> e : RandomWeights.canonicalShapes(sc).entrySet()) {
        int layer = ParamNames.layerOf(e.getKey());
        if (layer >= 0 && dims.apply(layer) != sc) {
          long[] s =
              perLayer
                  .computeIfAbsent(layer, g -> RandomWeights.canonicalShapes(dims.apply(g)))
                  .get(e.getKey());
          shapes.put(e.getKey(), s);
        } else {
          shapes.put(e.getKey(), e.getValue());
        }
      }
      for (Map.Entry<String, long[]> e : shapes.entrySet()) {
        String name = e.getKey();
        int layer = ParamNames.layerOf(name);
        String mambaPrefix = layer < 0 ? null : ParamNames.mamba(layer, "");
        NDArray a;
        if (mambaPrefix != null && name.startsWith(mambaPrefix)) {
          a =
              convertedTensor(
                  dims.apply(layer),
                  teacherWeights,
                  w,
                  layer,
                  name.substring(mambaPrefix.length()),
                  init,
                  seed,
                  consumed);
        } else {
          a =
              shareFrozen
                  ? alias(teacherWeights, name, consumed)
                  : copy(teacherWeights, name, consumed);
        }
        if (!Arrays.equals(a.getShape().getShape(), e.getValue())) {
          throw new BadInputException(
              "teacher tensor for '"
                  + name
                  + "' has shape "
                  + a.getShape()
                  + ", expected "
                  + Arrays.toString(e.getValue()));
        }
        w.put(name, a);
      }
      for (String n : teacherWeights.names()) {
        if (!consumed.contains(n)) {
          throw new BadInputException("teacher tensor '" + n + "' has no place in the student");
        }
      }
      return new DecoderModel(sc, w, dims);
    } catch (RuntimeException ex) {
      w.close();
      throw ex;
    }
  }

  /**
   * The student's config: the teacher's with family MMMAMBA, the layout's layer kinds and the
   * mmMamba mixer dims (H, G, P from the teacher).
   */
  public static DecoderConfig studentConfig(
      DecoderConfig teacher, HybridLayout layout, int convKernel, int chunkSize) {
    checkTeacher(teacher);
    List<LayerKind> kinds = layout.kinds(teacher.numLayers());
    Mamba2Config mc =
        Mamba2Config.mmMamba(
            teacher.numHeads(), teacher.numKvHeads(), teacher.headDim(), convKernel, chunkSize);
    return teacher
        .withLayers(ModelFamily.MMMAMBA, kinds, mc)
        .validate("student of a " + teacher.family() + " teacher");
  }

  private static void checkTeacher(DecoderConfig t) {
    if (t.hasMamba()) {
      throw new BadInputException(
          "teacher: a "
              + t.family()
              + " model with Mamba-2 layers "
              + t.layerKinds()
              + " cannot be a teacher (every layer must be attention)");
    }
    if (!t.hasMlp()) {
      throw new BadInputException(
          "teacher: a " + t.family() + " model without MLPs cannot be seeded");
    }
    if (t.qkvBias() || t.oBias()) {
      throw new BadInputException(
          "teacher: attention biases ("
              + t.family()
              + ", q/k/v bias "
              + t.qkvBias()
              + ", o bias "
              + t.oBias()
              + ") are not supported: the mmMamba mixer has no projection biases");
    }
  }

  /** One mixer tensor of converted layer {@code i}; {@code role} as in {@link ParamNames#mamba}. */
  private static NDArray convertedTensor(
      DecoderConfig sc,
      Weights teacher,
      Weights w,
      int i,
      String role,
      InitStrategy init,
      long seed,
      Set<String> consumed) {
    Mamba2Config mc = sc.mamba();
    int d = sc.hiddenSize();
    SplittableRandom rng = MambaInit.stream(seed, i, role);
    switch (role) {
      case "W_C":
        return inheritedOrScratch(
            teacher, w, ParamNames.attn(i, "W_Q"), init, mc.cChannels(), d, rng, consumed);
      case "W_B":
        return inheritedOrScratch(
            teacher, w, ParamNames.attn(i, "W_K"), init, mc.bChannels(), d, rng, consumed);
      case "W_x":
        return inheritedOrScratch(
            teacher, w, ParamNames.attn(i, "W_V"), init, mc.xChannels(), d, rng, consumed);
      case "W_O":
        // Always the teacher's output projection, also from scratch (docs/method.md §2.4).
        return copy(teacher, ParamNames.attn(i, "W_O"), consumed);
      case "W_G":
        return make(w, MambaInit.wG(init, mc.innerDim(), d, rng), mc.innerDim(), d);
      case "W_dt":
        return make(w, MambaInit.wDt(init, mc.numHeads(), d, rng), mc.numHeads(), d);
      case "conv.weight":
        return make(
            w,
            MambaInit.convWeight(init, mc.convChannels(), mc.convKernel(), rng),
            mc.convChannels(),
            mc.convKernel());
      case "conv.bias":
        return make(
            w,
            MambaInit.convBias(init, mc.convChannels(), mc.convKernel(), rng),
            mc.convChannels());
      case "dt_bias":
        return make(w, MambaInit.dtBias(init, mc.numHeads(), rng), mc.numHeads());
      case "A_log":
        return make(w, MambaInit.aLog(init, mc.numHeads(), rng), mc.numHeads());
      case "norm.weight":
        return make(w, MambaInit.normWeight(init, mc.headDim()), mc.normWeightSize());
      default:
        throw new IllegalStateException("no seeding rule for mixer tensor '" + role + "'");
    }
  }

  private static NDArray inheritedOrScratch(
      Weights teacher,
      Weights w,
      String src,
      InitStrategy init,
      int rows,
      int hidden,
      SplittableRandom rng,
      Set<String> consumed) {
    if (init == InitStrategy.SCRATCH) {
      consumed.add(src);
      return make(w, MambaInit.scratchProjection(rows, hidden, rng), rows, hidden);
    }
    return copy(teacher, src, consumed);
  }

  /** An independent copy of a teacher tensor (same device and dtype). */
  private static NDArray copy(Weights teacher, String name, Set<String> consumed) {
    if (!teacher.contains(name)) {
      throw new BadInputException("teacher: missing tensor '" + name + "'");
    }
    consumed.add(name);
    return teacher.get(name).duplicate();
  }

  /**
   * A view of a teacher tensor (same storage, a handle of its own: closing either handle leaves the
   * other valid).
   */
  private static NDArray alias(Weights teacher, String name, Set<String> consumed) {
    if (!teacher.contains(name)) {
      throw new BadInputException("teacher: missing tensor '" + name + "'");
    }
    consumed.add(name);
    NDArray t = teacher.get(name);
    return t.reshape(t.getShape());
  }

  /** A new array in the student's dtype (float64 values rounded once). */
  private static NDArray make(Weights w, double[] v, long... shape) {
    NDManager m = w.manager();
    DataType dt = w.dtype();
    if (dt == DataType.FLOAT64) {
      return m.create(v, new Shape(shape));
    }
    if (dt == DataType.FLOAT32) {
      float[] f = new float[v.length];
      for (int i = 0; i < v.length; i++) {
        f[i] = (float) v[i];
      }
      return m.create(f, new Shape(shape));
    }
    try (NDManager tmp = m.newSubManager()) {
      NDArray out = tmp.create(v, new Shape(shape)).toType(dt, false);
      out.attach(m);
      return out;
    }
  }
}
