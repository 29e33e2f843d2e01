package org.mmmamba.distill.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.config.VlmConfig;
import org.mmmamba.core.config.VlmConfigs;
import org.mmmamba.core.generate.GenerationConfig;
import org.mmmamba.core.generate.VlmGenerator;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.text.ChatMessage;
import org.mmmamba.core.text.ChatTemplate;
import org.mmmamba.core.text.Encoded;
import org.mmmamba.core.text.HfTokenizer;
import org.mmmamba.core.text.ImagePlaceholders;
import org.mmmamba.core.text.PromptBuilder;
import org.mmmamba.core.text.Tokenizer;
import org.mmmamba.core.vision.ImagePreprocessor;
import org.mmmamba.core.vision.PreprocessedImage;
import org.mmmamba.core.vision.RgbImage;
import org.mmmamba.core.vision.VisionConfig;
import org.mmmamba.distill.data.ShapesSample;
import org.mmmamba.distill.data.TaskData;

/**
 * Puts one question about one image to vision-language models that share a tokenizer, chat template
 * and image geometry (a teacher and the students made from it), and returns the greedy answer as
 * text.
 *
 * <p>The prompt is the one the models were trained and evaluated on: the user turn {@code
 * "<image>\n" + question} through the chat template, whose assistant opening is the generation
 * prompt; the image is one tile of S x S pixels (no dynamic tiling), as {@link TaskData#forModel}
 * prepares it with one tile. Decoding is greedy with the model's caches ({@link VlmGenerator}) and
 * stops at the template's stop token.
 *
 * <pre>{@code
 * try (ImageQa qa = ImageQa.forModel(teacherDir)) {
 *   String a = qa.ask(teacher, sample.image(), sample.question(), 3);   // e.g. "red"
 * }
 * }</pre>
 */
public final class ImageQa implements AutoCloseable {
  private final Tokenizer tokenizer;
  private final PromptBuilder prompts;
  private final ImagePreprocessor images;
  private final long stopId;

  private ImageQa(Tokenizer tokenizer, ChatTemplate template, VisionConfig vision) {
    this.tokenizer = tokenizer;
    this.prompts = new PromptBuilder(tokenizer, template, vision.tokensPerTile());
    this.images = new ImagePreprocessor(vision);
    this.stopId =
        tokenizer
            .tokenId(template.stopToken())
            .orElseThrow(
                () ->
                    new BadInputException(
                        "tokenizer has no stop token '"
                            + template.stopToken()
                            + "' of the chat template"));
  }

  /**
   * For the models of one directory: {@code tokenizer.json}, the chat template recorded in {@code
   * training.json} or {@code teacher-training.json} (else "plain", see {@link Evaluation#template})
   * and the image geometry of {@code config.json}.
   *
   * @param modelDir a vision-language model directory (teacher or student)
   * @return a new instance; close it to free the tokenizer
   * @throws BadInputException if the directory has no tokenizer.json or no vision-language
   *     config.json
   */
  public static ImageQa forModel(Path modelDir) {
    Path tok = modelDir.resolve("tokenizer.json");
    if (!Files.exists(tok)) {
      throw new BadInputException(modelDir + ": no tokenizer.json next to the model");
    }
    VlmConfig c = VlmConfigs.read(modelDir);
    VisionConfig v =
        VisionConfig.defaults().withSizes(c.imageSize(), c.patchSize()).withTiling(1, 1, false);
    return new ImageQa(
        HfTokenizer.load(tok),
        TaskData.template(Evaluation.template(modelDir), modelDir.resolve("tokenizer_config.json")),
        v);
  }

  /**
   * The prompt token ids for a question about an image with {@code numTiles} tiles: the user turn
   * and the assistant opening, with {@code <img>}, the {@code <IMG_CONTEXT>} placeholders and
   * {@code </img>} in place of {@code <image>}.
   *
   * @param question the question text (words of the tokenizer's vocabulary)
   * @param numTiles tiles of the image (1 here)
   * @return the prompt, length L
   */
  public long[] promptIds(String question, int numTiles) {
    Encoded e =
        prompts.encode(
            List.of(ChatMessage.user(ImagePlaceholders.IMAGE + "\n" + question)), numTiles);
    return e.inputIds();
  }

  /**
   * The model's greedy answer.
   *
   * @param model a vision-language model using this tokenizer and geometry
   * @param image the picture (any size; resized to one S x S tile)
   * @param question the question
   * @param maxNewTokens answer length limit
   * @return the answer text, without the stop token
   */
  public String ask(VisionLanguageModel model, RgbImage image, String question, int maxNewTokens) {
    PreprocessedImage px = images.preprocess(image);
    long[] prompt = promptIds(question, px.numTiles());
    GenerationConfig g = GenerationConfig.greedy(maxNewTokens).withStopTokens(Set.of((int) stopId));
    NDManager root = model.decoder().weights().manager().getParentManager();
    try (NDManager m = root.newSubManager()) {
      NDArray tiles =
          m.create(px.pixels(), new Shape(px.shape())).toType(model.decoder().dtype(), false);
      long[][] out = VlmGenerator.generate(model, new long[][] {prompt}, List.of(tiles), g);
      long[] gen = Arrays.copyOfRange(out[0], prompt.length, out[0].length);
      int end = 0;
      while (end < gen.length && gen[end] != stopId) {
        end++;
      }
      return tokenizer.decode(Arrays.copyOf(gen, end));
    }
  }

  /**
   * The model's greedy answers to a list of shapes-task samples (image and question of each), in
   * order.
   *
   * @param model a vision-language model using this tokenizer and geometry
   * @param samples samples of the built-in task (their answers are not shown to the model)
   * @param maxNewTokens answer length limit
   * @return one answer per sample
   */
  public List<String> ask(VisionLanguageModel model, List<ShapesSample> samples, int maxNewTokens) {
    List<String> out = new ArrayList<>(samples.size());
    for (ShapesSample s : samples) {
      out.add(ask(model, s.image(), s.question(), maxNewTokens));
    }
    return out;
  }

  /** The tokenizer (for decoding ids by hand). */
  public Tokenizer tokenizer() {
    return tokenizer;
  }

  /** Frees the tokenizer's native memory. */
  @Override
  public void close() {
    try {
      tokenizer.close();
    } catch (Exception e) {
      // closing a tokenizer frees native memory only
    }
  }
}
