package org.mmmamba.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mmmamba.core.BadInputException;

/**
 * Reads the {@code config.json} of published HoVLE checkpoints ({@code model_type} {@code
 * internvl_chat}) and of the released mmMamba students ({@code mmMamba_chat}, as {@code
 * convert_weight.py} of hustvl/mmMamba writes it), and writes the latter
 * (shared/docs/official-formats.md §1-2):
 *
 * <pre>
 * { "model_type": "internvl_chat" | "mmMamba_chat", "architectures": [..] or "mmMambaChatModel",
 *   "force_image_size", "downsample_ratio", "template", "max_dynamic_patch", "use_thumbnail", ...,
 *   "embedding_config": { "model_type": "holistic_embedding" | "mmMamba_embedding", InternLM2-style dims under
 *       their own names (attention_bias, llm_vocab_size, image_size, patch_size, img_context_token_id, ...),
 *       its own rope_theta / rope_scaling, "layers_block_type" (students, E entries) },
 *   "llm_config": { "model_type": "internlm2" | "mmMamba", "architectures": [..] or "mmMambaForCausalLM",
 *       InternLM2 keys, its own RoPE, "layers_block_type" (students, entries for global layers j + E) } }
 * </pre>
 *
 * <p>Both transformers spellings are accepted: 4.37's {@code torch_dtype} / {@code rope_theta} +
 * {@code rope_scaling {type, factor}} and 5's {@code dtype} / {@code rope_parameters}. The two
 * parts keep their own heads, MLP width, eps and RoPE ({@link VlmConfig#embeddingDims}); they must
 * share the hidden size and the vocabulary. The {@code <img>} / {@code </img>} ids are not in
 * config.json: they are read from the tokenizer files beside it ({@code added_tokens.json}, else
 * {@code tokenizer_config.json}), else taken as InternVL's {@code <IMG_CONTEXT>} - 2 and - 1.
 */
public final class InternVlChatConfigs {
  /** The teacher's top-level model_type. */
  public static final String HOVLE_TYPE = "internvl_chat";

  /** The released students' top-level model_type. */
  public static final String STUDENT_TYPE = "mmMamba_chat";

  private InternVlChatConfigs() {}

  /**
   * True if {@code dir/config.json} (or the file) is a published HoVLE or released mmMamba config.
   */
  public static boolean isOfficial(Path dirOrFile) {
    Path file = Files.isDirectory(dirOrFile) ? dirOrFile.resolve("config.json") : dirOrFile;
    if (!Files.isRegularFile(file)) {
      return false;
    }
    String mt = JsonFields.read(file).optString("model_type", "").toLowerCase(Locale.ROOT);
    return mt.equals(HOVLE_TYPE) || mt.equals(STUDENT_TYPE.toLowerCase(Locale.ROOT));
  }

  /**
   * Reads {@code dir/config.json} and validates it (the image marker ids from the tokenizer files
   * beside it).
   */
  public static VlmConfig read(Path dir) {
    Path file = Files.isDirectory(dir) ? dir.resolve("config.json") : dir;
    Path folder = file.toAbsolutePath().getParent();
    return parse(JsonFields.read(file), folder);
  }

  /** The chat settings of {@code dir/config.json}. */
  public static ChatSettings chat(Path dir) {
    Path file = Files.isDirectory(dir) ? dir.resolve("config.json") : dir;
    JsonFields j = JsonFields.read(file);
    JsonFields emb = require(j, "embedding_config");
    int size =
        j.has("force_image_size") && !j.node().get("force_image_size").isNull()
            ? j.requireInt("force_image_size")
            : emb.requireInt("image_size");
    return new ChatSettings(
            j.optString("template", "internlm2-chat"),
            size,
            j.optInt("min_dynamic_patch", 1),
            j.optInt("max_dynamic_patch", 6),
            j.optBool("use_thumbnail", false),
            j.optBool("dynamic_image_size", false))
        .validate(j.where());
  }

  /**
   * Parses a config object.
   *
   * @param folder where to look for the tokenizer files that give the {@code <img>} / {@code
   *     </img>} ids; may be null
   */
  public static VlmConfig parse(JsonFields j, Path folder) {
    String mt = j.optString("model_type", "");
    String lower = mt.toLowerCase(Locale.ROOT);
    if (!lower.equals(HOVLE_TYPE) && !lower.equals(STUDENT_TYPE.toLowerCase(Locale.ROOT))) {
      throw new BadInputException(
          j.where()
              + ": model_type must be '"
              + HOVLE_TYPE
              + "' or '"
              + STUDENT_TYPE
              + "', got '"
              + mt
              + "'");
    }
    JsonFields emb = require(j, "embedding_config");
    JsonFields llm = require(j, "llm_config");
    String et = emb.optString("model_type", "").toLowerCase(Locale.ROOT);
    if (!et.equals("holistic_embedding") && !et.equals("mmmamba_embedding")) {
      throw new BadInputException(
          emb.where()
              + ": model_type must be 'holistic_embedding' or 'mmMamba_embedding', got '"
              + et
              + "'");
    }
    String arch = firstArchitecture(llm);
    if (arch != null && !arch.startsWith("InternLM2") && !arch.startsWith("mmMamba")) {
      throw new BadInputException(
          llm.where()
              + ": architectures '"
              + arch
              + "' is not supported (InternLM2ForCausalLM, "
              + "mmMambaForCausalLM)");
    }
    String lt = llm.optString("model_type", "").toLowerCase(Locale.ROOT);
    if (!lt.equals("internlm2") && !lt.equals("mmmamba")) {
      throw new BadInputException(
          llm.where() + ": model_type must be 'internlm2' or 'mmMamba', got '" + lt + "'");
    }
    checkEmbeddingOptions(emb);
    if (j.optBool("normalize_encoder_output", false)) {
      throw new BadInputException(j.where() + ": normalize_encoder_output=true is not supported");
    }
    DecoderConfig llmPart = HfConfigs.parse(new JsonFields(normalised(llm, null), llm.where()));
    DecoderConfig embPart = HfConfigs.parse(new JsonFields(normalised(emb, llmPart), emb.where()));
    if (embPart.hiddenSize() != llmPart.hiddenSize()) {
      throw new BadInputException(
          emb.where()
              + ": hidden_size "
              + embPart.hiddenSize()
              + " differs from "
              + "llm_config.hidden_size "
              + llmPart.hiddenSize());
    }
    if (emb.optInt("llm_hidden_size", llmPart.hiddenSize()) != llmPart.hiddenSize()) {
      throw new BadInputException(
          emb.where()
              + ": llm_hidden_size "
              + emb.optInt("llm_hidden_size", 0)
              + " differs from llm_config.hidden_size "
              + llmPart.hiddenSize());
    }
    if (embPart.vocabSize() != llmPart.vocabSize()) {
      throw new BadInputException(
          emb.where()
              + ": llm_vocab_size "
              + embPart.vocabSize()
              + " differs from "
              + "llm_config.vocab_size "
              + llmPart.vocabSize());
    }
    List<LayerKind> kinds = new ArrayList<>(embPart.layerKinds());
    kinds.addAll(llmPart.layerKinds());
    boolean anyMamba = kinds.contains(LayerKind.MAMBA2);
    Mamba2Config mamba =
        llmPart.mamba() != null
            ? llmPart.mamba()
            : (anyMamba
                ? Mamba2Config.mmMamba(
                    llmPart.numHeads(), llmPart.numKvHeads(), llmPart.headDim(), 2, 128)
                : null);
    DecoderConfig stack =
        new DecoderConfig(
            anyMamba ? ModelFamily.MMMAMBA : ModelFamily.INTERNLM2,
            llmPart.vocabSize(),
            llmPart.hiddenSize(),
            kinds.size(),
            llmPart.numHeads(),
            llmPart.numKvHeads(),
            llmPart.headDim(),
            llmPart.intermediateSize(),
            llmPart.rmsNormEps(),
            llmPart.ropeTheta(),
            llmPart.ropeScaling(),
            llmPart.maxPositionEmbeddings(),
            llmPart.tieWordEmbeddings(),
            llmPart.qkvBias(),
            llmPart.oBias(),
            mamba,
            kinds,
            true,
            llmPart.bosTokenId(),
            llmPart.eosTokenIds(),
            llmPart.padTokenId());
    int embSize = emb.requireInt("image_size");
    int size =
        j.has("force_image_size") && !j.node().get("force_image_size").isNull()
            ? j.requireInt("force_image_size")
            : embSize;
    if (size != embSize) {
      throw new BadInputException(
          j.where()
              + ": force_image_size "
              + size
              + " differs from embedding_config.image_size "
              + embSize
              + " (interpolated position embeddings are not supported)");
    }
    double ratio = j.optDouble("downsample_ratio", emb.optDouble("downsample_ratio", 0.5));
    int ctx = emb.optInt("img_context_token_id", 92546);
    int[] marks = imageMarkers(folder, ctx);
    VlmConfig c =
        new VlmConfig(
            size,
            emb.optInt("patch_size", 14),
            emb.optInt("num_channels", 3),
            ratio,
            embPart.numLayers(),
            stack,
            ctx,
            marks[0],
            marks[1],
            embPart);
    return c.validate(j.where());
  }

  private static void checkEmbeddingOptions(JsonFields emb) {
    if (emb.optBool("use_ls", false)) {
      throw new BadInputException(
          emb.where() + ": use_ls=true is not supported (HoVLE asserts it is false)");
    }
    if (!emb.optBool("use_pixel_shuffle_proj", true)) {
      throw new BadInputException(emb.where() + ": use_pixel_shuffle_proj=false is not supported");
    }
    String loc = emb.optString("pixel_shuffle_loc", "pre");
    if (!loc.equals("pre")) {
      throw new BadInputException(
          emb.where() + ": pixel_shuffle_loc '" + loc + "' is not supported (pre only)");
    }
    JsonNode maps = emb.node().get("special_token_maps");
    if (maps != null && !maps.isNull() && maps.size() > 0) {
      throw new BadInputException(
          emb.where()
              + ": a non-empty special_token_maps (special_text_embeddings) is not "
              + "supported");
    }
    if (emb.optBool("mlp_bias", false)) {
      throw new BadInputException(emb.where() + ": mlp_bias=true is not supported");
    }
  }

  /**
   * The part as an InternLM2 / mmMamba config object HfConfigs reads: model_type normalised, the
   * embedding part's own key names mapped (llm_vocab_size -> vocab_size, attention_bias -> bias,
   * untied).
   */
  private static ObjectNode normalised(JsonFields part, DecoderConfig llm) {
    ObjectNode o = ((ObjectNode) part.node()).deepCopy();
    boolean student = o.has("layers_block_type");
    o.put("model_type", student ? "mmmamba" : "internlm2");
    o.remove("architectures");
    if (llm != null) {
      o.put("vocab_size", part.optInt("llm_vocab_size", llm.vocabSize()));
      o.put("bias", part.optBool("attention_bias", false));
      o.put("tie_word_embeddings", false);
    }
    return o;
  }

  private static String firstArchitecture(JsonFields j) {
    JsonNode a = j.node().get("architectures");
    if (a == null || a.isNull()) {
      return null;
    }
    if (a.isTextual()) {
      return a.asText();
    }
    if (a.isArray() && a.size() > 0 && a.get(0).isTextual()) {
      return a.get(0).asText();
    }
    throw new BadInputException(
        j.where() + ": key 'architectures' must be a string or a list of strings");
  }

  /**
   * [{@code <img>}, {@code </img>}] ids from added_tokens.json / tokenizer_config.json, else ctx -
   * 2, ctx - 1.
   */
  static int[] imageMarkers(Path folder, int ctx) {
    int[] out = {ctx - 2, ctx - 1};
    if (folder == null) {
      return out;
    }
    Path added = folder.resolve("added_tokens.json");
    Path tc = folder.resolve("tokenizer_config.json");
    if (Files.isRegularFile(added)) {
      JsonFields a = JsonFields.read(added);
      out[0] = a.optInt("<img>", out[0]);
      out[1] = a.optInt("</img>", out[1]);
    } else if (Files.isRegularFile(tc)) {
      JsonFields t = JsonFields.read(tc);
      JsonFields dec = t.objectOrNull("added_tokens_decoder");
      if (dec != null) {
        for (Map.Entry<String, JsonNode> e : iterable(dec.node())) {
          String content = e.getValue().path("content").asText("");
          if (content.equals("<img>")) {
            out[0] = Integer.parseInt(e.getKey());
          } else if (content.equals("</img>")) {
            out[1] = Integer.parseInt(e.getKey());
          }
        }
      }
    }
    return out;
  }

  private static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode n) {
    return n::fields;
  }

  private static JsonFields require(JsonFields j, String key) {
    JsonFields o = j.objectOrNull(key);
    if (o == null) {
      throw new BadInputException(j.where() + ": missing key '" + key + "'");
    }
    return o;
  }

  /**
   * The config.json of a released student, exactly as hustvl/mmMamba's {@code convert_weight.py}
   * derives it from the teacher's: string {@code architectures} "mmMambaChatModel", {@code
   * model_type} "mmMamba_chat", the three {@code auto_map} entries pointed at the mmMamba files,
   * {@code embedding_config.model_type} "mmMamba_embedding", {@code llm_config.model_type}
   * "mmMamba" with string architectures and its own auto_map, and {@code layers_block_type} for the
   * E embedding layers and the LLM layers ("mha" or "mamba2"), every other key kept as the teacher
   * has it.
   *
   * @param teacher the teacher's config.json tree ({@code internvl_chat} or already {@code
   *     mmMamba_chat})
   * @param kinds the student's layer kinds over all global layers (E + LLM layers)
   * @param nameOrPath the value of {@code _name_or_path} (the converter writes the output path)
   */
  public static ObjectNode studentConfig(
      JsonNode teacher, List<LayerKind> kinds, String nameOrPath) {
    ObjectNode c = ((ObjectNode) teacher).deepCopy();
    ObjectNode emb = (ObjectNode) c.get("embedding_config");
    ObjectNode llm = (ObjectNode) c.get("llm_config");
    if (emb == null || llm == null) {
      throw new BadInputException("teacher config: missing embedding_config or llm_config");
    }
    int e = emb.path("num_hidden_layers").asInt(-1);
    int n = llm.path("num_hidden_layers").asInt(-1);
    if (e < 0 || n < 0 || e + n != kinds.size()) {
      throw new BadInputException(
          "teacher config: "
              + e
              + " embedding + "
              + n
              + " LLM layers, but the student has "
              + kinds.size()
              + " layers");
    }
    c.put("_name_or_path", nameOrPath);
    // convert_weight.py loads the teacher with torch_dtype=bfloat16 and save_pretrained records it
    c.put(c.has("dtype") && !c.has("torch_dtype") ? "dtype" : "torch_dtype", "bfloat16");
    c.put("architectures", "mmMambaChatModel");
    ObjectNode am =
        c.has("auto_map") && c.get("auto_map").isObject()
            ? (ObjectNode) c.get("auto_map")
            : c.putObject("auto_map");
    am.put("AutoConfig", "configuration_mmMamba_chat.mmMambaChatConfig");
    am.put("AutoModel", "modeling_mmMamba_chat.mmMambaChatModel");
    am.put("AutoModelForCausalLM", "modeling_mmMamba_chat.mmMambaChatModel");
    emb.put("model_type", "mmMamba_embedding");
    llm.put("architectures", "mmMambaForCausalLM");
    ObjectNode lam =
        llm.has("auto_map") && llm.get("auto_map").isObject()
            ? (ObjectNode) llm.get("auto_map")
            : llm.putObject("auto_map");
    lam.put("AutoConfig", "configuration_mmMamba.mmMambaConfig");
    lam.put("AutoModel", "modeling_mmMamba.mmMambaForCausalLM");
    lam.put("AutoModelForCausalLM", "modeling_mmMamba.mmMambaForCausalLM");
    llm.put("model_type", "mmMamba");
    c.put("model_type", STUDENT_TYPE);
    ArrayNode eb = emb.putArray("layers_block_type");
    ArrayNode lb = llm.putArray("layers_block_type");
    for (int g = 0; g < kinds.size(); g++) {
      (g < e ? eb : lb).add(kinds.get(g).hfName());
    }
    return c;
  }

  /**
   * The chat settings of a published config.
   *
   * @param template conversation template name ({@code internlm2-chat})
   * @param imageSize tile side ({@code force_image_size})
   * @param minTiles {@code min_dynamic_patch}
   * @param maxTiles {@code max_dynamic_patch}
   * @param useThumbnail {@code use_thumbnail}
   * @param dynamicImageSize {@code dynamic_image_size} (false: one tile of the whole image)
   */
  public record ChatSettings(
      String template,
      int imageSize,
      int minTiles,
      int maxTiles,
      boolean useThumbnail,
      boolean dynamicImageSize) {
    /** Checks the values; the message names {@code where}. */
    public ChatSettings validate(String where) {
      if (minTiles < 1 || maxTiles < minTiles) {
        throw new BadInputException(
            where
                + ": need 1 <= min_dynamic_patch <= max_dynamic_patch, got "
                + minTiles
                + ", "
                + maxTiles);
      }
      if (imageSize <= 0) {
        throw new BadInputException(where + ": force_image_size must be > 0, got " + imageSize);
      }
      return this;
    }
  }
}
