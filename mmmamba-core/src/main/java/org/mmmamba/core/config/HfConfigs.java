package org.mmmamba.core.config;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.mmmamba.core.BadInputException;

/**
 * Reads and writes HF {@code config.json} files for the families in {@link ModelFamily}.
 *
 * <p>Real-world variants handled: transformers 5 {@code rope_parameters} and the older {@code
 * rope_scaling} ({@code type} or {@code rope_type}); {@code head_dim} absent or null; {@code
 * eos_token_id} as an int or a list; {@code {"__float__": "Infinity"}} in {@code time_step_limit};
 * {@code tie_word_embeddings} defaulting per family.
 */
public final class HfConfigs {
  private HfConfigs() {}

  /** Reads {@code dir/config.json} (or the file itself) and validates it. */
  public static DecoderConfig read(Path dirOrFile) {
    Path file = Files.isDirectory(dirOrFile) ? dirOrFile.resolve("config.json") : dirOrFile;
    return parse(JsonFields.read(file));
  }

  /** Parses an already-read config object. */
  public static DecoderConfig parse(JsonFields j) {
    ModelFamily family = family(j);
    DecoderConfig c = family == ModelFamily.MAMBA2 ? mamba2(j) : transformer(j, family);
    return c.validate(j.where());
  }

  static ModelFamily family(JsonFields j) {
    String mt = j.optString("model_type", "").toLowerCase(Locale.ROOT);
    switch (mt) {
      case "llama":
        return ModelFamily.LLAMA;
      case "qwen2":
        return ModelFamily.QWEN2;
      case "internlm2":
        return ModelFamily.INTERNLM2;
      case "mamba2":
        return ModelFamily.MAMBA2;
      case "mmmamba":
        return ModelFamily.MMMAMBA;
      default:
        break;
    }
    List<String> arch = j.optStrings("architectures");
    if (arch != null && !arch.isEmpty()) {
      String a = arch.get(0);
      if (a.startsWith("Llama")) {
        return ModelFamily.LLAMA;
      }
      if (a.startsWith("Qwen2")) {
        return ModelFamily.QWEN2;
      }
      if (a.startsWith("InternLM2")) {
        return ModelFamily.INTERNLM2;
      }
      if (a.startsWith("Mamba2")) {
        return ModelFamily.MAMBA2;
      }
    }
    throw new BadInputException(
        j.where()
            + ": unsupported model_type '"
            + mt
            + "' (supported: llama, qwen2, internlm2, mamba2, mmmamba)");
  }

  private static DecoderConfig transformer(JsonFields j, ModelFamily family) {
    int hidden = j.requireInt("hidden_size");
    int heads = j.requireInt("num_attention_heads");
    int kv = j.optInt("num_key_value_heads", heads);
    int headDim = j.has("head_dim") ? j.requireInt("head_dim") : (heads > 0 ? hidden / heads : 0);
    if (!j.has("head_dim") && heads > 0 && hidden % heads != 0) {
      throw new BadInputException(
          j.where()
              + ": hidden_size "
              + hidden
              + " is not divisible by num_attention_heads "
              + heads
              + " and head_dim is not set");
    }
    int layers = j.requireInt("num_hidden_layers");
    int maxPos = j.optInt("max_position_embeddings", 2048);
    boolean qkvBias;
    boolean oBias;
    switch (family) {
      case QWEN2:
        qkvBias = true;
        oBias = false;
        break;
      case INTERNLM2:
      case MMMAMBA:
        qkvBias = j.optBool("bias", false);
        oBias = qkvBias;
        break;
      default:
        qkvBias = j.optBool("attention_bias", false);
        oBias = qkvBias;
        if (j.optBool("mlp_bias", false)) {
          throw new BadInputException(j.where() + ": mlp_bias=true is not supported");
        }
    }
    String act = j.optString("hidden_act", "silu");
    if (!act.equals("silu") && !act.equals("swish")) {
      throw new BadInputException(
          j.where() + ": hidden_act '" + act + "' is not supported (silu only)");
    }
    double[] theta = {j.optDouble("rope_theta", 10000.0)};
    RopeScaling scaling = rope(j, maxPos, theta);
    List<LayerKind> kinds = new ArrayList<>(Collections.nCopies(layers, LayerKind.ATTENTION));
    Mamba2Config mamba = null;
    if (family == ModelFamily.MMMAMBA) {
      List<String> types = j.optStrings("layers_block_type");
      if (types == null) {
        throw new BadInputException(j.where() + ": missing key 'layers_block_type'");
      }
      kinds.clear();
      for (String t : types) {
        kinds.add(LayerKind.parse(t));
      }
      mamba =
          Mamba2Config.mmMamba(
                  heads, kv, headDim, j.optInt("d_conv", 2), j.optInt("chunk_size", 128))
              .withD(j.optBool("use_D", false));
    }
    return new DecoderConfig(
        family,
        j.requireInt("vocab_size"),
        hidden,
        layers,
        heads,
        kv,
        headDim,
        j.requireInt("intermediate_size"),
        j.optDouble("rms_norm_eps", 1e-6),
        theta[0],
        scaling,
        maxPos,
        j.optBool("tie_word_embeddings", false),
        qkvBias,
        oBias,
        mamba,
        kinds,
        true,
        j.optInteger("bos_token_id"),
        j.optIntList("eos_token_id"),
        j.optInteger("pad_token_id"));
  }

  /** Reads RoPE settings; may replace theta[0] when it lives inside rope_parameters. */
  private static RopeScaling rope(JsonFields j, int maxPos, double[] theta) {
    JsonFields p = j.objectOrNull("rope_parameters");
    if (p == null) {
      p = j.objectOrNull("rope_scaling");
    }
    if (p == null) {
      return RopeScaling.none();
    }
    if (p.has("rope_theta")) {
      theta[0] = p.optDouble("rope_theta", theta[0]);
    }
    String type = p.optString("rope_type", p.optString("type", "default")).toLowerCase(Locale.ROOT);
    double factor = p.optDouble("factor", 1.0);
    int orig = p.optInt("original_max_position_embeddings", maxPos);
    switch (type) {
      case "default":
        return RopeScaling.none();
      case "linear":
        return new RopeScaling(RopeScaling.Type.LINEAR, factor, orig);
      case "dynamic":
        return new RopeScaling(RopeScaling.Type.DYNAMIC, factor, orig);
      default:
        throw new BadInputException(
            p.where() + ": rope type '" + type + "' is not supported (default, linear, dynamic)");
    }
  }

  private static DecoderConfig mamba2(JsonFields j) {
    int hidden = j.requireInt("hidden_size");
    int heads = j.requireInt("num_heads");
    int headDim = j.requireInt("head_dim");
    int expand = j.optInt("expand", 2);
    if (heads * headDim != expand * hidden) {
      throw new BadInputException(
          j.where()
              + ": num_heads * head_dim ("
              + heads * headDim
              + ") must equal expand * hidden_size ("
              + expand * hidden
              + ")");
    }
    if (!j.optBool("rms_norm", true)) {
      throw new BadInputException(j.where() + ": rms_norm=false is not supported");
    }
    double[] limit = j.optDoubles("time_step_limit");
    double dtMin = limit == null ? 0.0 : limit[0];
    double dtMax = limit == null ? Double.POSITIVE_INFINITY : limit[1];
    double eps = j.optDouble("layer_norm_epsilon", 1e-5);
    int layers = j.requireInt("num_hidden_layers");
    Mamba2Config m =
        Mamba2Config.hfMamba2(
            heads,
            headDim,
            j.requireInt("state_size"),
            j.optInt("n_groups", 1),
            j.optInt("conv_kernel", 4),
            j.optBool("use_conv_bias", true),
            j.optInt("chunk_size", 256),
            eps,
            j.optBool("use_bias", false),
            dtMin,
            dtMax);
    return new DecoderConfig(
        ModelFamily.MAMBA2,
        j.requireInt("vocab_size"),
        hidden,
        layers,
        heads,
        heads,
        headDim,
        0,
        eps,
        10000.0,
        RopeScaling.none(),
        0,
        j.optBool("tie_word_embeddings", true),
        false,
        false,
        m,
        Collections.nCopies(layers, LayerKind.MAMBA2),
        false,
        j.optInteger("bos_token_id"),
        j.optIntList("eos_token_id"),
        j.optInteger("pad_token_id"));
  }

  /** Writes a config object in the HF layout of {@code c.family()}. */
  public static ObjectNode toJson(DecoderConfig c) {
    ObjectNode o = JsonFields.MAPPER.createObjectNode();
    ArrayNode arch = o.putArray("architectures");
    switch (c.family()) {
      case LLAMA:
        arch.add("LlamaForCausalLM");
        o.put("model_type", "llama");
        o.put("attention_bias", c.qkvBias());
        break;
      case QWEN2:
        arch.add("Qwen2ForCausalLM");
        o.put("model_type", "qwen2");
        break;
      case INTERNLM2:
        arch.add("InternLM2ForCausalLM");
        o.put("model_type", "internlm2");
        o.put("bias", c.qkvBias());
        break;
      case MMMAMBA:
        arch.add("MMMambaForCausalLM");
        o.put("model_type", "mmmamba");
        o.put("bias", c.qkvBias());
        ArrayNode t = o.putArray("layers_block_type");
        c.layerKinds().forEach(k -> t.add(k.hfName()));
        o.put("d_conv", c.mamba().convKernel());
        o.put("chunk_size", c.mamba().chunkSize());
        o.put("use_D", c.mamba().useD());
        break;
      case MAMBA2:
        return mamba2Json(c, o, arch);
      default:
        throw new IllegalStateException(c.family().toString());
    }
    o.put("vocab_size", c.vocabSize());
    o.put("hidden_size", c.hiddenSize());
    o.put("intermediate_size", c.intermediateSize());
    o.put("num_hidden_layers", c.numLayers());
    o.put("num_attention_heads", c.numHeads());
    o.put("num_key_value_heads", c.numKvHeads());
    o.put("head_dim", c.headDim());
    o.put("hidden_act", "silu");
    o.put("rms_norm_eps", c.rmsNormEps());
    o.put("rope_theta", c.ropeTheta());
    o.put("max_position_embeddings", c.maxPositionEmbeddings());
    if (c.ropeScaling().type() == RopeScaling.Type.NONE) {
      o.putNull("rope_scaling");
    } else {
      ObjectNode rs = o.putObject("rope_scaling");
      rs.put("rope_type", c.ropeScaling().type().name().toLowerCase(Locale.ROOT));
      rs.put("factor", c.ropeScaling().factor());
      rs.put("original_max_position_embeddings", c.ropeScaling().originalMaxPositions());
    }
    o.put("tie_word_embeddings", c.tieWordEmbeddings());
    ids(c, o);
    return o;
  }

  private static ObjectNode mamba2Json(DecoderConfig c, ObjectNode o, ArrayNode arch) {
    Mamba2Config m = c.mamba();
    arch.add("Mamba2ForCausalLM");
    o.put("model_type", "mamba2");
    o.put("vocab_size", c.vocabSize());
    o.put("hidden_size", c.hiddenSize());
    o.put("num_hidden_layers", c.numLayers());
    o.put("num_heads", m.numHeads());
    o.put("head_dim", m.headDim());
    o.put("expand", m.innerDim() / c.hiddenSize());
    o.put("state_size", m.stateDim());
    o.put("n_groups", m.bGroups());
    o.put("conv_kernel", m.convKernel());
    o.put("use_conv_bias", m.convBias());
    o.put("use_bias", m.projBias());
    o.put("chunk_size", m.chunkSize());
    o.put("layer_norm_epsilon", m.normEps());
    o.put("rms_norm", true);
    o.put("tie_word_embeddings", c.tieWordEmbeddings());
    ArrayNode lim = o.putArray("time_step_limit");
    lim.add(m.dtMin());
    if (Double.isInfinite(m.dtMax())) {
      lim.addObject().put("__float__", "Infinity");
    } else {
      lim.add(m.dtMax());
    }
    ids(c, o);
    return o;
  }

  private static void ids(DecoderConfig c, ObjectNode o) {
    if (c.bosTokenId() != null) {
      o.put("bos_token_id", c.bosTokenId());
    }
    if (c.padTokenId() != null) {
      o.put("pad_token_id", c.padTokenId());
    }
    if (c.eosTokenIds().size() == 1) {
      o.put("eos_token_id", c.eosTokenIds().get(0));
    } else if (!c.eosTokenIds().isEmpty()) {
      ArrayNode e = o.putArray("eos_token_id");
      c.eosTokenIds().forEach(e::add);
    }
  }
}
