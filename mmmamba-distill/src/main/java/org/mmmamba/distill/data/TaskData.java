package org.mmmamba.distill.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.config.VlmConfig;
import org.mmmamba.core.text.ChatTemplate;
import org.mmmamba.core.text.HfTokenizer;
import org.mmmamba.core.text.ImagePlaceholders;
import org.mmmamba.core.text.InternLm2Tokenizer;
import org.mmmamba.core.text.PromptBuilder;
import org.mmmamba.core.text.Tokenizer;
import org.mmmamba.core.text.WordLevelTokenizerWriter;
import org.mmmamba.core.vision.ImagePreprocessor;
import org.mmmamba.core.vision.VisionConfig;

/**
 * Everything between a config's data section and encoded samples: the tokenizer, the chat template,
 * image preprocessing matched to the model, and sample sources for "builtin:shapes" or a
 * LLaVA-format file. One place so that teacher training, distillation and evaluation see the same
 * encoding.
 */
public final class TaskData implements AutoCloseable {
  /** The spelling of the built-in synthetic task in configs. */
  public static final String BUILTIN_SHAPES = "builtin:shapes";

  /** Offset between the train and test seeds of the synthetic task (so test images are unseen). */
  public static final long TEST_SEED_OFFSET = 1_000_003L;

  private final Tokenizer tokenizer;
  private final ChatTemplate template;
  private final PromptBuilder prompts;
  private final ImagePreprocessor images;
  private final ShapesConfig shapes = ShapesConfig.defaults();

  private TaskData(Tokenizer tokenizer, ChatTemplate template, VisionConfig vision) {
    this.tokenizer = tokenizer;
    this.template = template;
    this.images = new ImagePreprocessor(vision);
    this.prompts = new PromptBuilder(tokenizer, template, vision.tokensPerTile());
  }

  /**
   * For a model: its tokenizer file, template name ("plain" or "internlm2") and image geometry.
   *
   * @throws org.mmmamba.core.BadInputException if the tokenizer has more ids than the model's
   *     vocabulary (naming the tokenizer file)
   */
  public static TaskData forModel(
      Path tokenizerFile, String templateName, VlmConfig vlm, int maxTiles) {
    return open(tokenizerFile, templateName, vlm, maxTiles, true);
  }

  /**
   * As {@link #forModel}, for a model still to be built: {@code vlm} gives only the image geometry,
   * the vocabulary comes from the tokenizer (teacher training).
   */
  public static TaskData forNewModel(
      Path tokenizerFile, String templateName, VlmConfig vlm, int maxTiles) {
    return open(tokenizerFile, templateName, vlm, maxTiles, false);
  }

  private static TaskData open(
      Path tokenizerFile, String templateName, VlmConfig vlm, int maxTiles, boolean checkVocab) {
    VisionConfig v =
        VisionConfig.defaults()
            .withSizes(vlm.imageSize(), vlm.patchSize())
            .withTiling(1, Math.max(1, maxTiles), maxTiles > 1);
    Tokenizer tok =
        tokenizerFile.getFileName().toString().equals("tokenizer.model")
            ? InternLm2Tokenizer.load(tokenizerFile.toAbsolutePath().getParent())
            : HfTokenizer.load(tokenizerFile);
    int modelVocab = vlm.stack().vocabSize();
    if (checkVocab && tok.vocabSize() > modelVocab) {
      // Caught here, not as an index error deep in the first forward: a tokenizer of another
      // model (or one extended by added tokens) gives ids the embedding table does not have.
      throw new org.mmmamba.core.BadInputException(
          tokenizerFile
              + ": the tokenizer has "
              + tok.vocabSize()
              + " ids, the model's vocabulary only "
              + modelVocab
              + " (vocab_size); use the model's own tokenizer");
    }
    return new TaskData(
        tok, template(templateName, tokenizerFile.resolveSibling("tokenizer_config.json")), v);
  }

  /** The template by name ("plain" or "internlm2"; see {@link #template(String, Path)}). */
  public static ChatTemplate template(String name) {
    return template(name, null);
  }

  /**
   * The template by name: the built-in {@code plain} or {@code internlm2}, {@code jinja} (the
   * {@code chat_template} of {@code tokenizerConfig}, rendered as transformers does), or {@code
   * auto} ({@code jinja} when {@code tokenizerConfig} exists and has a {@code chat_template}, else
   * {@code plain}).
   *
   * @param name the name; null means "plain"
   * @param tokenizerConfig the checkpoint's {@code tokenizer_config.json}; may be null or missing
   */
  public static ChatTemplate template(String name, Path tokenizerConfig) {
    switch (name == null ? "plain" : name) {
      case "plain":
        return ChatTemplate.plain();
      case "internlm2":
        return ChatTemplate.internlm2Chat("");
      case "jinja":
        if (tokenizerConfig == null || !java.nio.file.Files.isRegularFile(tokenizerConfig)) {
          throw new BadInputException(
              "chat template 'jinja': "
                  + (tokenizerConfig == null ? "tokenizer_config.json" : tokenizerConfig)
                  + " not found");
        }
        return org.mmmamba.core.text.JinjaChatTemplate.fromTokenizerConfig(tokenizerConfig)
            .orElseThrow(
                () ->
                    new BadInputException(
                        "chat template 'jinja': " + tokenizerConfig + " has no chat_template"));
      case "auto":
        if (tokenizerConfig != null && java.nio.file.Files.isRegularFile(tokenizerConfig)) {
          java.util.Optional<org.mmmamba.core.text.JinjaChatTemplate> j =
              org.mmmamba.core.text.JinjaChatTemplate.fromTokenizerConfig(tokenizerConfig);
          if (j.isPresent()) {
            return j.get();
          }
        }
        return ChatTemplate.plain();
      default:
        throw new BadInputException(
            "unknown chat template '" + name + "' (plain, internlm2, jinja, auto)");
    }
  }

  /** Writes the word-level tokenizer of the built-in shapes task to {@code file}. */
  public static void writeShapesTokenizer(Path file) {
    WordLevelTokenizerWriter.write(file, ShapesTask.vocabulary(ShapesConfig.defaults()));
  }

  /** The tokenizer. */
  public Tokenizer tokenizer() {
    return tokenizer;
  }

  /** The chat template. */
  public ChatTemplate template() {
    return template;
  }

  /** Id of the template's stop token. */
  public long stopId() {
    return id(template.stopToken());
  }

  /** Padding id (0 when the tokenizer has none). */
  public long padId() {
    return tokenizer.padId().orElse(0L);
  }

  /** Id of a token that must exist. */
  public long id(String token) {
    return tokenizer
        .tokenId(token)
        .orElseThrow(() -> new BadInputException("tokenizer has no token '" + token + "'"));
  }

  /** The image-placeholder ids {context, start, end}. */
  public long[] imageTokenIds() {
    return new long[] {
      id(ImagePlaceholders.IMG_CONTEXT),
      id(ImagePlaceholders.IMG_START),
      id(ImagePlaceholders.IMG_END)
    };
  }

  /**
   * A sample source.
   *
   * @param spec "builtin:shapes" or a path to a LLaVA JSON/JSONL file
   * @param test for builtin:shapes, the held-out split (seed + {@link #TEST_SEED_OFFSET})
   * @param seed builtin:shapes seed
   * @param n builtin:shapes sample count
   * @param imageRoot image directory for LLaVA files (default: the file's directory)
   */
  public SampleSource source(
      String spec,
      boolean test,
      long seed,
      int n,
      String imageRoot,
      int maxTokens,
      BrokenSamplePolicy policy) {
    if (BUILTIN_SHAPES.equals(spec)) {
      long s = test ? seed + TEST_SEED_OFFSET : seed;
      return SampleSource.shapes(shapes, s, n, test ? "test" : "train", prompts, images);
    }
    Path file = Path.of(spec);
    if (!Files.exists(file)) {
      throw new BadInputException(spec + ": dataset file not found");
    }
    Path root = imageRoot != null ? Path.of(imageRoot) : file.toAbsolutePath().getParent();
    LlavaDataset ds = LlavaDataset.open(file, root, policy);
    return SampleSource.llava(
        ds, new SampleEncoder(prompts, images, maxTokens, policy, ds.counter()));
  }

  /** Every usable sample of a source, in order (evaluation sets; keep them small). */
  public static List<EncodedSample> all(SampleSource src, int limit) {
    List<EncodedSample> out = new ArrayList<>();
    int n = limit > 0 ? Math.min(limit, src.size()) : src.size();
    for (int i = 0; i < n; i++) {
      src.get(i).ifPresent(out::add);
    }
    return out;
  }

  @Override
  public void close() {
    try {
      tokenizer.close();
    } catch (Exception e) {
      // nothing to do: closing a tokenizer frees native memory only
    }
  }
}
