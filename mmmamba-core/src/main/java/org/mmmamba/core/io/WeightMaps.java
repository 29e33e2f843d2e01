package org.mmmamba.core.io;

import static org.mmmamba.core.config.ParamNames.EMBED;
import static org.mmmamba.core.config.ParamNames.FINAL_NORM;
import static org.mmmamba.core.config.ParamNames.LM_HEAD;
import static org.mmmamba.core.config.ParamNames.attn;
import static org.mmmamba.core.config.ParamNames.attnNorm;
import static org.mmmamba.core.config.ParamNames.mamba;
import static org.mmmamba.core.config.ParamNames.mlp;
import static org.mmmamba.core.config.ParamNames.mlpNorm;

import java.util.ArrayList;
import java.util.List;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.LayerKind;
import org.mmmamba.core.config.Mamba2Config;
import org.mmmamba.core.io.WeightMap.Block;

/**
 * The weight-name tables of every checkpoint family ({@link org.mmmamba.core.config.ModelFamily}).
 * Each table lists every tensor a checkpoint of that family and config must contain, with its
 * shape: anything missing, unexpected or mis-shaped is reported by name when loading.
 */
public final class WeightMaps {
  private WeightMaps() {}

  /** The table for {@code c.family()} under {@code prefix} (e.g. "" or "language_model."). */
  public static WeightMap of(DecoderConfig c, String prefix) {
    switch (c.family()) {
      case LLAMA:
      case QWEN2:
        return llama(c, prefix);
      case INTERNLM2:
      case MMMAMBA:
        return internlm2(c, prefix);
      case MAMBA2:
        return mamba2(c, prefix);
      default:
        throw new IllegalArgumentException("no weight map for " + c.family());
    }
  }

  /** The table for {@code c.family()} with no prefix. */
  public static WeightMap of(DecoderConfig c) {
    return of(c, "");
  }

  private static WeightMap llama(DecoderConfig c, String p) {
    WeightMap.Builder b = new WeightMap.Builder();
    long d = c.hiddenSize();
    long q = (long) c.numHeads() * c.headDim();
    long kv = (long) c.numKvHeads() * c.headDim();
    b.rename(p + "model.embed_tokens.weight", EMBED, c.vocabSize(), d);
    for (int i = 0; i < c.numLayers(); i++) {
      String l = p + "model.layers." + i + ".";
      b.rename(l + "input_layernorm.weight", attnNorm(i), d);
      b.rename(l + "post_attention_layernorm.weight", mlpNorm(i), d);
      b.rename(l + "self_attn.q_proj.weight", attn(i, "W_Q"), q, d);
      b.rename(l + "self_attn.k_proj.weight", attn(i, "W_K"), kv, d);
      b.rename(l + "self_attn.v_proj.weight", attn(i, "W_V"), kv, d);
      b.rename(l + "self_attn.o_proj.weight", attn(i, "W_O"), d, q);
      if (c.qkvBias()) {
        b.rename(l + "self_attn.q_proj.bias", attn(i, "b_Q"), q);
        b.rename(l + "self_attn.k_proj.bias", attn(i, "b_K"), kv);
        b.rename(l + "self_attn.v_proj.bias", attn(i, "b_V"), kv);
      }
      if (c.oBias()) {
        b.rename(l + "self_attn.o_proj.bias", attn(i, "b_O"), d);
      }
      mlpEntries(
          b,
          c,
          i,
          l + "mlp.gate_proj.weight",
          l + "mlp.up_proj.weight",
          l + "mlp.down_proj.weight");
    }
    b.rename(p + "model.norm.weight", FINAL_NORM, d);
    head(b, c, p + "lm_head.weight");
    return b.build();
  }

  private static WeightMap internlm2(DecoderConfig c, String p) {
    WeightMap.Builder b = new WeightMap.Builder();
    long d = c.hiddenSize();
    b.rename(p + "model.tok_embeddings.weight", EMBED, c.vocabSize(), d);
    for (int i = 0; i < c.numLayers(); i++) {
      internlm2Layer(b, c, i, p + "model.layers." + i + ".");
    }
    b.rename(p + "model.norm.weight", FINAL_NORM, d);
    head(b, c, p + "output.weight");
    return b.build();
  }

  /**
   * One InternLM2-layout decoder layer: canonical layer {@code i} ({@code layers.i.*}) stored under
   * {@code l} (e.g. "model.layers.3." or, in a HoVLE checkpoint, "embedding_model.encoder.3."):
   * norms, packed attention or the mmMamba mixer (by {@code c.kind(i)}), and the SwiGLU MLP.
   */
  static void internlm2Layer(WeightMap.Builder b, DecoderConfig c, int i, String l) {
    long d = c.hiddenSize();
    b.rename(l + "attention_norm.weight", attnNorm(i), d);
    b.rename(l + "ffn_norm.weight", mlpNorm(i), d);
    if (c.kind(i) == LayerKind.ATTENTION) {
      internlm2Attention(b, c, i, l + "attention.");
    } else {
      mmMambaMixer(b, c, i, l + "attention.");
    }
    mlpEntries(
        b,
        c,
        i,
        l + "feed_forward.w1.weight",
        l + "feed_forward.w3.weight",
        l + "feed_forward.w2.weight");
  }

  /** Packed wqkv: per kv head h, rows [q_{g h} .. q_{g h + g - 1}, k_h, v_h], each head P rows. */
  private static void internlm2Attention(WeightMap.Builder b, DecoderConfig c, int i, String a) {
    long d = c.hiddenSize();
    int g = c.numHeads() / c.numKvHeads();
    long pd = c.headDim();
    for (String kind : c.qkvBias() ? new String[] {"weight", "bias"} : new String[] {"weight"}) {
      boolean w = kind.equals("weight");
      List<Block> blocks = new ArrayList<>();
      for (int h = 0; h < c.numKvHeads(); h++) {
        blocks.add(new Block(attn(i, w ? "W_Q" : "b_Q"), h * g * pd, g * pd));
        blocks.add(new Block(attn(i, w ? "W_K" : "b_K"), h * pd, pd));
        blocks.add(new Block(attn(i, w ? "W_V" : "b_V"), h * pd, pd));
      }
      long rows = (long) c.numKvHeads() * (g + 2) * pd;
      b.packed(a + "wqkv." + kind, w ? new long[] {rows, d} : new long[] {rows}, blocks);
    }
    b.rename(a + "wo.weight", attn(i, "W_O"), d, (long) c.numHeads() * pd);
    if (c.oBias()) {
      b.rename(a + "wo.bias", attn(i, "b_O"), d);
    }
  }

  /** The released mmMamba layout: wvkqgdt rows [V; K; Q; G; dt], conv over [V|K|Q]. */
  private static void mmMambaMixer(WeightMap.Builder b, DecoderConfig c, int i, String a) {
    Mamba2Config m = c.mamba();
    long d = c.hiddenSize();
    long xc = m.xChannels();
    long bc = m.bChannels();
    long cc = m.cChannels();
    long inner = m.innerDim();
    List<Block> blocks =
        List.of(
            new Block(mamba(i, "W_x"), 0, xc),
            new Block(mamba(i, "W_B"), 0, bc),
            new Block(mamba(i, "W_C"), 0, cc),
            new Block(mamba(i, "W_G"), 0, inner),
            new Block(mamba(i, "W_dt"), 0, m.numHeads()));
    b.packed(a + "wvkqgdt.weight", new long[] {xc + bc + cc + inner + m.numHeads(), d}, blocks);
    b.rename(a + "o_proj.weight", mamba(i, "W_O"), d, inner);
    b.reshape(
        a + "conv1d.weight",
        mamba(i, "conv.weight"),
        new long[] {m.convChannels(), 1, m.convKernel()},
        new long[] {m.convChannels(), m.convKernel()});
    if (m.convBias()) {
      b.rename(a + "conv1d.bias", mamba(i, "conv.bias"), m.convChannels());
    }
    b.rename(a + "g_norm_swish_gate.weight", mamba(i, "norm.weight"), m.normWeightSize());
    b.rename(a + "dt_bias", mamba(i, "dt_bias"), m.numHeads());
    b.rename(a + "A_log_bias", mamba(i, "A_log"), m.numHeads());
    if (m.useD()) {
      b.rename(a + "D", mamba(i, "D"), m.numHeads());
    }
  }

  private static WeightMap mamba2(DecoderConfig c, String p) {
    WeightMap.Builder b = new WeightMap.Builder();
    Mamba2Config m = c.mamba();
    if (m.projBias()) {
      throw new org.mmmamba.core.BadInputException("Mamba2 use_bias=true is not supported");
    }
    long d = c.hiddenSize();
    long inner = m.innerDim();
    b.rename(p + "backbone.embeddings.weight", EMBED, c.vocabSize(), d);
    for (int i = 0; i < c.numLayers(); i++) {
      String l = p + "backbone.layers." + i + ".";
      b.rename(l + "norm.weight", attnNorm(i), d);
      List<Block> blocks =
          List.of(
              new Block(mamba(i, "W_G"), 0, inner),
              new Block(mamba(i, "W_x"), 0, m.xChannels()),
              new Block(mamba(i, "W_B"), 0, m.bChannels()),
              new Block(mamba(i, "W_C"), 0, m.cChannels()),
              new Block(mamba(i, "W_dt"), 0, m.numHeads()));
      b.packed(
          l + "mixer.in_proj.weight",
          new long[] {inner + m.convChannels() + m.numHeads(), d},
          blocks);
      b.reshape(
          l + "mixer.conv1d.weight",
          mamba(i, "conv.weight"),
          new long[] {m.convChannels(), 1, m.convKernel()},
          new long[] {m.convChannels(), m.convKernel()});
      if (m.convBias()) {
        b.rename(l + "mixer.conv1d.bias", mamba(i, "conv.bias"), m.convChannels());
      }
      b.rename(l + "mixer.dt_bias", mamba(i, "dt_bias"), m.numHeads());
      b.rename(l + "mixer.A_log", mamba(i, "A_log"), m.numHeads());
      b.rename(l + "mixer.D", mamba(i, "D"), m.numHeads());
      b.rename(l + "mixer.norm.weight", mamba(i, "norm.weight"), m.normWeightSize());
      b.rename(l + "mixer.out_proj.weight", mamba(i, "W_O"), d, inner);
    }
    b.rename(p + "backbone.norm_f.weight", FINAL_NORM, d);
    head(b, c, p + "lm_head.weight");
    return b.build();
  }

  private static void mlpEntries(
      WeightMap.Builder b, DecoderConfig c, int i, String gate, String up, String down) {
    if (!c.hasMlp()) {
      return;
    }
    long d = c.hiddenSize();
    long f = c.intermediateSize();
    b.rename(gate, mlp(i, "W_gate"), f, d);
    b.rename(up, mlp(i, "W_up"), f, d);
    b.rename(down, mlp(i, "W_down"), d, f);
  }

  private static void head(WeightMap.Builder b, DecoderConfig c, String name) {
    if (c.tieWordEmbeddings()) {
      b.optional(name);
    } else {
      b.rename(name, LM_HEAD, c.vocabSize(), c.hiddenSize());
    }
  }
}
