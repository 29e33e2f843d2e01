package org.mmmamba.core.api;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.config.InternVlChatConfigs;
import org.mmmamba.core.config.VlmConfig;
import org.mmmamba.core.generate.GenerationConfig;
import org.mmmamba.core.generate.VlmGenerator;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.model.VlmIo;
import org.mmmamba.core.text.ChatMessage;
import org.mmmamba.core.text.ChatTemplate;
import org.mmmamba.core.text.Encoded;
import org.mmmamba.core.text.ImagePlaceholders;
import org.mmmamba.core.text.InternLm2Tokenizer;
import org.mmmamba.core.text.PromptBuilder;
import org.mmmamba.core.vision.ImagePreprocessor;
import org.mmmamba.core.vision.PreprocessedImage;
import org.mmmamba.core.vision.VisionConfig;

/**
 * The chat path of a published HoVLE / released mmMamba checkpoint folder, as the official {@code
 * chat()} does it (shared/docs/official-formats.md §5-6):
 *
 * <ol>
 *   <li>with an image and no {@code <image>} in the question, {@code "<image>\n"} is put before it;
 *   <li>{@code internlm2-chat}: {@code
 *       <|im_start|>system\n{system}<|im_end|><|im_start|>user\n{question}
 *       <|im_end|><|im_start|>assistant\n}, the default system message being InternVL's;
 *   <li>{@code <image>} becomes {@code <img>} + {@code <IMG_CONTEXT>} x (tokens per tile x tiles) +
 *       {@code </img>};
 *   <li>the InternLM2 tokenizer ({@code tokenizer.model} + added tokens), {@code <s>} first;
 *   <li>the image: dynamic tiling between {@code min_dynamic_patch} and {@code max_dynamic_patch}
 *       tiles of {@code force_image_size}, a thumbnail when {@code use_thumbnail} and more than one
 *       tile, ImageNet normalisation;
 *   <li>greedy decoding with the decode cache, stopping at {@code <|im_end|>}; the answer is the
 *       text before it, stripped.
 * </ol>
 */
public final class VlmChat {
  /** The default system message of InternVL's {@code internlm2-chat} template. */
  public static final String INTERNVL_SYSTEM =
      "你是由上海人工智能实验室联合商汤科技开发的书生多模态大模型，英文名叫InternVL, " + "是一个有用无害的人工智能助手。";

  private final InternLm2Tokenizer tokenizer;
  private final PromptBuilder prompts;
  private final ImagePreprocessor images;
  private final long stopId;

  private VlmChat(InternLm2Tokenizer tokenizer, ChatTemplate template, VisionConfig vision) {
    this.tokenizer = tokenizer;
    this.prompts = new PromptBuilder(tokenizer, template, vision.tokensPerTile());
    this.images = new ImagePreprocessor(vision);
    this.stopId =
        tokenizer
            .tokenId(template.stopToken())
            .orElseThrow(
                () ->
                    new BadInputException(
                        "tokenizer has no stop token '" + template.stopToken() + "'"));
  }

  /**
   * For a checkpoint folder with an {@code internvl_chat} / {@code mmMamba_chat} config.json and
   * the InternLM2 tokenizer files.
   *
   * @param systemMessage null for the template's default (InternVL's message)
   */
  public static VlmChat forModel(Path dir, String systemMessage) {
    if (!InternVlChatConfigs.isOfficial(dir)) {
      throw new BadInputException(
          dir
              + ": --question needs a published HoVLE / mmMamba folder (config.json with "
              + "model_type internvl_chat or mmMamba_chat, and tokenizer.model)");
    }
    InternVlChatConfigs.ChatSettings s = InternVlChatConfigs.chat(dir);
    if (!s.template().equals("internlm2-chat")) {
      throw new BadInputException(
          dir.resolve("config.json")
              + ": template '"
              + s.template()
              + "' is not supported (internlm2-chat)");
    }
    VlmConfig c = VlmIo.readConfig(dir);
    int max = s.dynamicImageSize() ? s.maxTiles() : 1;
    int min = s.dynamicImageSize() ? s.minTiles() : 1;
    VisionConfig v =
        new VisionConfig(
            s.imageSize(),
            c.patchSize(),
            min,
            max,
            s.useThumbnail() && max > 1,
            VisionConfig.IMAGENET_MEAN,
            VisionConfig.IMAGENET_STD,
            c.downsampleRatio());
    return new VlmChat(
        InternLm2Tokenizer.load(dir),
        ChatTemplate.internlm2Chat(systemMessage == null ? INTERNVL_SYSTEM : systemMessage),
        v);
  }

  /** The tokenizer. */
  public InternLm2Tokenizer tokenizer() {
    return tokenizer;
  }

  /** The id generation stops at ({@code <|im_end|>}). */
  public long stopId() {
    return stopId;
  }

  /** A prompt: token ids ({@code <s>} first) and the preprocessed image (null without one). */
  public record Prompt(long[] ids, PreprocessedImage image) {}

  /** The prompt for {@code question} about {@code image} (null: text only). */
  public Prompt prompt(String question, Path image) {
    PreprocessedImage px = image == null ? null : images.preprocess(image);
    String q = question;
    if (px != null && !q.contains(ImagePlaceholders.IMAGE)) {
      q = ImagePlaceholders.IMAGE + "\n" + q;
    }
    Encoded e = prompts.encode(List.of(ChatMessage.user(q)), px == null ? 0 : px.numTiles());
    long[] body = e.inputIds();
    long[] ids = new long[body.length + 1];
    ids[0] = tokenizer.bosId().orElseThrow(() -> new BadInputException("tokenizer has no <s>"));
    System.arraycopy(body, 0, ids, 1, body.length);
    return new Prompt(ids, px);
  }

  /**
   * The tiles of a prompt's image as an array in {@code m} ((T, 3, S, S), the model's dtype), or
   * null.
   */
  public static NDArray pixels(VisionLanguageModel model, Prompt p, NDManager m) {
    if (p.image() == null) {
      return null;
    }
    return m.create(p.image().pixels(), new Shape(p.image().shape()))
        .toType(model.decoder().dtype(), false);
  }

  /** Generated tokens (up to and including {@code <|im_end|>} when reached) and the answer text. */
  public record Answer(long[] tokens, String text) {}

  /** Greedy answer with the decode cache. */
  public Answer ask(VisionLanguageModel model, Prompt p, int maxNewTokens) {
    GenerationConfig g = GenerationConfig.greedy(maxNewTokens).withStopTokens(Set.of((int) stopId));
    NDManager root = model.decoder().weights().manager().getParentManager();
    try (NDManager m = root.newSubManager()) {
      NDArray tiles = pixels(model, p, m);
      List<NDArray> px = new ArrayList<>();
      px.add(tiles);
      long[][] out = VlmGenerator.generate(model, new long[][] {p.ids()}, px, g);
      long[] gen = Arrays.copyOfRange(out[0], p.ids().length, out[0].length);
      int end = 0;
      while (end < gen.length && gen[end] != stopId) {
        end++;
      }
      return new Answer(gen, tokenizer.decode(Arrays.copyOf(gen, end), true).strip());
    }
  }
}
