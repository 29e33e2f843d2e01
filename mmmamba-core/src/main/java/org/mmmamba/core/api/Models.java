package org.mmmamba.core.api;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.config.InternVlChatConfigs;
import org.mmmamba.core.config.JsonFields;
import org.mmmamba.core.io.OfficialFiles;
import org.mmmamba.core.io.SafetensorsWriter;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.ModelIo;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.model.VlmIo;
import org.mmmamba.core.seed.InitStrategy;
import org.mmmamba.core.seed.Seeder;

/**
 * The one front door for models: load, save and convert every supported checkpoint (text-only
 * decoders: Llama, Qwen2, InternLM2, HF Mamba2, mmMamba students; vision-language models: HoVLE
 * teachers and their students). It is a thin facade over {@link ModelIo} (decoders) and {@link
 * VlmIo} (vision-language models); the CLI, the notebook facade and the recipe all load and save
 * through it.
 *
 * <p>Offline mode: see {@link Offline}.
 *
 * <pre>{@code
 * try (NDManager m = NDManager.newBaseManager();
 *      DecoderModel model = Models.load(Path.of("my-model"), m, DataType.FLOAT32)) {
 *   NDArray logits = model.forward(model.ids(m, new long[][] {{1, 2, 3}}));
 * }
 * }</pre>
 */
public final class Models {
  /** Positions per logits chunk when writing logits (bounds memory at (B, chunk, V)). */
  public static final int LOGITS_CHUNK = 256;

  private Models() {}

  /** Loads a text-only checkpoint directory (config.json + safetensors) in {@code dtype}. */
  public static DecoderModel load(Path dir, NDManager m, DataType dtype) {
    return ModelIo.load(dir, m, dtype);
  }

  /**
   * Loads a vision-language checkpoint directory (HoVLE layout: a teacher, or a student of one) in
   * {@code dtype}.
   */
  public static VisionLanguageModel loadVlm(Path dir, NDManager m, DataType dtype) {
    return VlmIo.load(dir, m, dtype);
  }

  /** Saves a text-only model (config.json + sharded safetensors) to {@code dir}. */
  public static void save(DecoderModel model, Path dir) {
    ModelIo.save(model, dir);
  }

  /**
   * Saves a vision-language model (config.json + sharded safetensors, HoVLE layout) to {@code dir}.
   */
  public static void save(VisionLanguageModel model, Path dir) {
    VlmIo.save(model, dir);
  }

  /**
   * Seeds a student in memory (docs/method.md §2.4): every layer the layout does not keep as
   * attention becomes a Mamba-2 mixer with W_C = W_Q, W_B = W_K, W_x = W_V (unless {@code init} is
   * scratch), W_O = the teacher's; everything else is copied. Default conv kernel and chunk size.
   * The student borrows the teacher's vision weights: keep the teacher open while it is used.
   */
  public static VisionLanguageModel convert(
      VisionLanguageModel teacher, HybridLayout layout, InitStrategy init, long seed) {
    DecoderModel t = teacher.decoder();
    DecoderModel s =
        Seeder.seed(
            teacher.config(),
            t.weights(),
            layout,
            init,
            seed,
            Seeder.DEFAULT_CONV_KERNEL,
            Seeder.DEFAULT_CHUNK_SIZE,
            t.weights().manager().getParentManager());
    return teacher.withDecoder(s);
  }

  /**
   * Seeds a student from a teacher checkpoint and writes it to {@code out}, which must be missing
   * or empty. A HoVLE teacher gives a HoVLE-layout student with the teacher's {@code
   * tokenizer.json} (and its {@code training.json} as {@code teacher-training.json}); a
   * Llama/InternLM2 teacher gives an mmMamba checkpoint via {@link Students#convert}. Both get a
   * {@code seeding.json}.
   *
   * @return {@code out}
   * @throws BadInputException for a bad teacher, layout or output directory
   */
  public static Path convert(
      Path teacherDir, HybridLayout layout, InitStrategy init, long seed, Path out) {
    if (!Files.isRegularFile(teacherDir.resolve("config.json"))) {
      throw new BadInputException(teacherDir + ": no config.json (not a checkpoint directory)");
    }
    if (!VlmIo.isVlm(teacherDir)) {
      Students.convert(teacherDir, layout, init, seed, out);
      return out;
    }
    requireEmpty(out);
    boolean official = InternVlChatConfigs.isOfficial(teacherDir);
    try (NDManager m = NDManager.newBaseManager();
        VisionLanguageModel teacher = VlmIo.load(teacherDir, m, DataType.FLOAT32);
        VisionLanguageModel student = convert(teacher, layout, init, seed)) {
      if (official) {
        // a published HoVLE teacher gives a student in the released mmMamba layout, with the
        // teacher's tokenizer
        VlmIo.saveReleased(
            student,
            out,
            JsonFields.read(teacherDir.resolve("config.json")).node(),
            VlmIo.RELEASED_SHARD_BYTES);
      } else {
        VlmIo.save(student, out);
      }
    }
    if (official) {
      OfficialFiles.copyTokenizer(teacherDir, out);
      Students.writeSeeding(
          out,
          teacherDir,
          layout,
          init,
          seed,
          Seeder.DEFAULT_CONV_KERNEL,
          Seeder.DEFAULT_CHUNK_SIZE);
      return out;
    }
    try {
      Files.copy(teacherDir.resolve("tokenizer.json"), out.resolve("tokenizer.json"));
      Path rec = teacherDir.resolve("training.json");
      if (Files.exists(rec)) {
        Files.copy(rec, out.resolve("teacher-training.json"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy the teacher's side files to " + out, e);
    }
    Students.writeSeeding(
        out, teacherDir, layout, init, seed, Seeder.DEFAULT_CONV_KERNEL, Seeder.DEFAULT_CHUNK_SIZE);
    return out;
  }

  private static void requireEmpty(Path out) {
    if (!Files.exists(out)) {
      return;
    }
    if (!Files.isDirectory(out)) {
      throw new BadInputException(out + ": output exists and is not a directory");
    }
    try (Stream<Path> s = Files.list(out)) {
      if (s.findAny().isPresent()) {
        throw new BadInputException(out + ": output directory is not empty");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot inspect " + out, e);
    }
  }

  /**
   * Runs the model on {@code ids} and writes tensor {@code logits} (float32 [B, L, V]) to {@code
   * out}.
   */
  public static void writeLogits(DecoderModel model, long[][] ids, Path out) {
    int b = ids.length;
    int l = ids[0].length;
    int v = model.config().vocabSize();
    long total = (long) b * l * v;
    if (total > Integer.MAX_VALUE - 8) {
      throw new BadInputException(
          "logits of shape ["
              + b
              + ", "
              + l
              + ", "
              + v
              + "] exceed 2^31 elements: "
              + "split the input");
    }
    float[] flat = new float[(int) total];
    NDManager m = model.weights().manager().getParentManager();
    try (NDScope scope = new NDScope()) {
      NDArray hidden = model.hidden(model.embed(model.ids(m, ids)), null);
      model.logitsChunked(
          hidden,
          LOGITS_CHUNK,
          (start, logits) -> {
            float[] part = logits.toType(DataType.FLOAT32, false).toFloatArray();
            int len = (int) logits.getShape().get(1);
            for (int i = 0; i < b; i++) {
              System.arraycopy(part, i * len * v, flat, (i * l + start) * v, len * v);
            }
          });
    }
    new SafetensorsWriter()
        .metadata("format", "pt")
        .addFloats("logits", new long[] {b, l, v}, flat)
        .write(out);
  }
}
