package org.mmmamba.core.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.mmmamba.core.BadInputException;

/**
 * Reads and writes the {@code config.json} of a {@link VlmConfig}, in this project's own documented
 * layout (HoVLE's real config.json was not available; see docs/method.md §8):
 *
 * <pre>
 * {
 *   "architectures": ["HoVLEForCausalLM"],
 *   "model_type": "hovle",
 *   "vision": {"image_size": 448, "patch_size": 14, "num_channels": 3, "downsample_ratio": 0.5},
 *   "num_embedding_layers": 8,
 *   "img_context_token_id": 92546, "img_start_token_id": 92544, "img_end_token_id": 92545,
 *   "embedding_config": { InternLM2 keys as HfConfigs.toJson writes them, num_hidden_layers = 8 },
 *   "llm_config": { the same for the LLM part, num_hidden_layers = 24 }
 * }
 * </pre>
 *
 * <p>Each part is an InternLM2 config ({@code "model_type": "internlm2"}), or an mmMamba one
 * ({@code "model_type": "mmmamba"} with {@code layers_block_type}, {@code d_conv}, {@code
 * chunk_size}, {@code use_D}) when any of its layers is Mamba-2. The two parts must agree on every
 * dimension and on RoPE (the joint stack is one {@link DecoderConfig}); special token ids and the
 * LM-head tying come from {@code llm_config}. {@link #parse} reads back exactly what {@link
 * #toJson} writes.
 */
public final class VlmConfigs {
  /** The {@code model_type} of this layout. */
  public static final String MODEL_TYPE = "hovle";

  /** The {@code architectures} entry of this layout. */
  public static final String ARCHITECTURE = "HoVLEForCausalLM";

  private VlmConfigs() {}

  /** True if {@code dir/config.json} (or the file) declares this layout. */
  public static boolean isVlm(Path dirOrFile) {
    Path file = Files.isDirectory(dirOrFile) ? dirOrFile.resolve("config.json") : dirOrFile;
    JsonFields j = JsonFields.read(file);
    return MODEL_TYPE.equals(j.optString("model_type", "").toLowerCase(Locale.ROOT));
  }

  /** Reads {@code dir/config.json} (or the file itself) and validates it. */
  public static VlmConfig read(Path dirOrFile) {
    Path file = Files.isDirectory(dirOrFile) ? dirOrFile.resolve("config.json") : dirOrFile;
    return parse(JsonFields.read(file));
  }

  /** Parses an already-read config object and validates it. */
  public static VlmConfig parse(JsonFields j) {
    String mt = j.optString("model_type", "");
    if (!MODEL_TYPE.equals(mt.toLowerCase(Locale.ROOT))) {
      throw new BadInputException(
          j.where()
              + ": model_type must be '"
              + MODEL_TYPE
              + "' for a vision-language model, "
              + "got '"
              + mt
              + "'");
    }
    JsonFields vision = require(j, "vision");
    DecoderConfig emb = part(j, "embedding_config");
    DecoderConfig llm = part(j, "llm_config");
    int e = j.requireInt("num_embedding_layers");
    if (e != emb.numLayers()) {
      throw new BadInputException(
          j.where()
              + ": num_embedding_layers "
              + e
              + " differs from "
              + "embedding_config.num_hidden_layers "
              + emb.numLayers());
    }
    agree(j.where(), "vocab_size", emb.vocabSize(), llm.vocabSize());
    agree(j.where(), "hidden_size", emb.hiddenSize(), llm.hiddenSize());
    agree(j.where(), "intermediate_size", emb.intermediateSize(), llm.intermediateSize());
    agree(j.where(), "num_attention_heads", emb.numHeads(), llm.numHeads());
    agree(j.where(), "num_key_value_heads", emb.numKvHeads(), llm.numKvHeads());
    agree(j.where(), "head_dim", emb.headDim(), llm.headDim());
    agree(j.where(), "rms_norm_eps", emb.rmsNormEps(), llm.rmsNormEps());
    agree(j.where(), "rope_theta", emb.ropeTheta(), llm.ropeTheta());
    agree(j.where(), "rope_scaling", emb.ropeScaling(), llm.ropeScaling());
    agree(
        j.where(),
        "max_position_embeddings",
        emb.maxPositionEmbeddings(),
        llm.maxPositionEmbeddings());
    agree(j.where(), "bias", emb.qkvBias(), llm.qkvBias());
    Mamba2Config mamba = emb.mamba() != null ? emb.mamba() : llm.mamba();
    if (emb.mamba() != null && llm.mamba() != null) {
      agree(j.where(), "d_conv", emb.mamba().convKernel(), llm.mamba().convKernel());
      agree(j.where(), "chunk_size", emb.mamba().chunkSize(), llm.mamba().chunkSize());
      agree(j.where(), "use_D", emb.mamba().useD(), llm.mamba().useD());
      agree(j.where(), "mamba dims", emb.mamba(), llm.mamba());
    }
    List<LayerKind> kinds = new ArrayList<>(emb.layerKinds());
    kinds.addAll(llm.layerKinds());
    boolean anyMamba = kinds.contains(LayerKind.MAMBA2);
    DecoderConfig stack =
        new DecoderConfig(
            anyMamba ? ModelFamily.MMMAMBA : ModelFamily.INTERNLM2,
            llm.vocabSize(),
            llm.hiddenSize(),
            kinds.size(),
            llm.numHeads(),
            llm.numKvHeads(),
            llm.headDim(),
            llm.intermediateSize(),
            llm.rmsNormEps(),
            llm.ropeTheta(),
            llm.ropeScaling(),
            llm.maxPositionEmbeddings(),
            llm.tieWordEmbeddings(),
            llm.qkvBias(),
            llm.oBias(),
            anyMamba ? mamba : null,
            kinds,
            true,
            llm.bosTokenId(),
            llm.eosTokenIds(),
            llm.padTokenId());
    VlmConfig c =
        new VlmConfig(
            vision.requireInt("image_size"),
            vision.requireInt("patch_size"),
            vision.optInt("num_channels", 3),
            vision.optDouble("downsample_ratio", 0.5),
            e,
            stack,
            j.requireInt("img_context_token_id"),
            j.requireInt("img_start_token_id"),
            j.requireInt("img_end_token_id"));
    return c.validate(j.where());
  }

  private static JsonFields require(JsonFields j, String key) {
    JsonFields o = j.objectOrNull(key);
    if (o == null) {
      throw new BadInputException(j.where() + ": missing key '" + key + "'");
    }
    return o;
  }

  private static DecoderConfig part(JsonFields j, String key) {
    JsonFields o = require(j, key);
    DecoderConfig c = HfConfigs.parse(o);
    if (c.family() != ModelFamily.INTERNLM2 && c.family() != ModelFamily.MMMAMBA) {
      throw new BadInputException(
          o.where() + ": model_type must be internlm2 or mmmamba, got " + c.family());
    }
    return c;
  }

  private static void agree(String where, String key, Object emb, Object llm) {
    if (!Objects.equals(emb, llm)) {
      throw new BadInputException(
          where
              + ": embedding_config."
              + key
              + " = "
              + emb
              + " but llm_config."
              + key
              + " = "
              + llm
              + "; the embedding and LLM layers form one stack and must agree");
    }
  }

  /** The config object in the layout above. */
  public static ObjectNode toJson(VlmConfig c) {
    ObjectNode o = JsonFields.MAPPER.createObjectNode();
    o.putArray("architectures").add(ARCHITECTURE);
    o.put("model_type", MODEL_TYPE);
    ObjectNode v = o.putObject("vision");
    v.put("image_size", c.imageSize());
    v.put("patch_size", c.patchSize());
    v.put("num_channels", c.channels());
    v.put("downsample_ratio", c.downsampleRatio());
    o.put("num_embedding_layers", c.numEmbeddingLayers());
    o.put("img_context_token_id", c.imgContextTokenId());
    o.put("img_start_token_id", c.imgStartTokenId());
    o.put("img_end_token_id", c.imgEndTokenId());
    o.set("embedding_config", HfConfigs.toJson(c.embeddingPart()));
    o.set("llm_config", HfConfigs.toJson(c.llmPart()));
    return o;
  }

  /** The config as indented JSON text. */
  public static String toJsonString(VlmConfig c) {
    try {
      return JsonFields.MAPPER
              .writer()
              .with(SerializationFeature.INDENT_OUTPUT)
              .writeValueAsString(toJson(c))
          + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e); // in-memory tree; cannot happen
    }
  }
}
