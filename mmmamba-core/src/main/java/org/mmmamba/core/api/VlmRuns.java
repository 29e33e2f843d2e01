package org.mmmamba.core.api;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.config.InternVlChatConfigs;
import org.mmmamba.core.config.VlmConfig;
import org.mmmamba.core.generate.GenerationConfig;
import org.mmmamba.core.generate.VlmGenerator;
import org.mmmamba.core.io.SafetensorsWriter;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.model.VlmIo;
import org.mmmamba.core.vision.ImagePreprocessor;
import org.mmmamba.core.vision.PreprocessedImage;
import org.mmmamba.core.vision.VisionConfig;

/**
 * Token-id runs of vision-language models for the CLI ({@code logits}, {@code generate
 * --input-ids}): the ids carry the {@code <IMG_CONTEXT>} placeholders, an optional image fills them
 * in every row that has them.
 */
public final class VlmRuns {
  private VlmRuns() {}

  /**
   * The image preprocessing of a model folder: a published config's tiling ({@link VlmChat}'s),
   * else the project layout's single tile of the config's size (as its training data uses).
   */
  public static PreprocessedImage preprocess(Path modelDir, Path image) {
    VlmConfig c = VlmIo.readConfig(modelDir);
    VisionConfig v;
    if (InternVlChatConfigs.isOfficial(modelDir)) {
      InternVlChatConfigs.ChatSettings s = InternVlChatConfigs.chat(modelDir);
      int max = s.dynamicImageSize() ? s.maxTiles() : 1;
      v =
          new VisionConfig(
              s.imageSize(),
              c.patchSize(),
              s.dynamicImageSize() ? s.minTiles() : 1,
              max,
              s.useThumbnail() && max > 1,
              VisionConfig.IMAGENET_MEAN,
              VisionConfig.IMAGENET_STD,
              c.downsampleRatio());
    } else {
      v = VisionConfig.defaults().withSizes(c.imageSize(), c.patchSize()).withTiling(1, 1, false);
    }
    return new ImagePreprocessor(v).preprocess(image);
  }

  /** Per row: the tiles when the row has {@code <IMG_CONTEXT>} placeholders, else null. */
  public static List<NDArray> pixelsPerRow(
      VisionLanguageModel model, long[][] ids, PreprocessedImage px, NDManager m) {
    List<NDArray> out = new ArrayList<>();
    NDArray tiles =
        px == null
            ? null
            : m.create(px.pixels(), new Shape(px.shape())).toType(model.decoder().dtype(), false);
    long ctx = model.config().imgContextTokenId();
    for (long[] row : ids) {
      boolean has = false;
      for (long t : row) {
        has |= t == ctx;
      }
      if (has && tiles == null) {
        throw new BadInputException(
            "input_ids hold <IMG_CONTEXT> (id "
                + ctx
                + ") placeholders but no --image was "
                + "given");
      }
      out.add(has ? tiles : null);
    }
    return out;
  }

  /**
   * Logits (float32 [B, L, V], tensor {@code logits}) of the rows with the image filling their
   * placeholders.
   */
  public static void writeLogits(
      VisionLanguageModel model, long[][] ids, PreprocessedImage px, Path out) {
    int b = ids.length;
    int l = ids[0].length;
    int v = model.config().stack().vocabSize();
    if ((long) b * l * v > Integer.MAX_VALUE - 8) {
      throw new BadInputException(
          "logits of shape ["
              + b
              + ", "
              + l
              + ", "
              + v
              + "] exceed 2^31 elements: split the "
              + "input");
    }
    float[] flat;
    NDManager root = model.decoder().weights().manager().getParentManager();
    try (NDManager m = root.newSubManager();
        NDScope scope = new NDScope()) {
      NDArray logits = model.forward(model.ids(m, ids), pixelsPerRow(model, ids, px, m));
      flat = logits.toType(DataType.FLOAT32, false).toFloatArray();
    }
    new SafetensorsWriter()
        .metadata("format", "pt")
        .addFloats("logits", new long[] {b, l, v}, flat)
        .write(out);
  }

  /** Cached generation from token-id prompts (with the image filling their placeholders). */
  public static long[][] generate(
      VisionLanguageModel model, long[][] ids, PreprocessedImage px, GenerationConfig g) {
    NDManager root = model.decoder().weights().manager().getParentManager();
    try (NDManager m = root.newSubManager()) {
      return VlmGenerator.generate(model, ids, pixelsPerRow(model, ids, px, m), g);
    }
  }
}
