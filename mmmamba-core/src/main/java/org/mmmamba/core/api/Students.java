package org.mmmamba.core.api;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.HfConfigs;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.io.AtomicText;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.ModelIo;
import org.mmmamba.core.seed.InitStrategy;
import org.mmmamba.core.seed.Seeder;

/**
 * Making students: seed a Mamba-2 (linear or hybrid) student from a Transformer teacher checkpoint
 * and write it as an mmMamba checkpoint, before any training (what {@code mmmamba convert} runs).
 *
 * <pre>{@code
 * Students.convert(Path.of("teacher"), HybridLayout.parse("head-interleaved:8"), InitStrategy.INHERIT_MIMIC, 0,
 *     Path.of("student"));
 * try (NDManager m = NDManager.newBaseManager();
 *      DecoderModel student = Models.load(Path.of("student"), m, DataType.FLOAT32)) { ... }
 * }</pre>
 */
public final class Students {
  /**
   * Teacher files copied beside the student's weights when present (tokenizer and generation
   * settings).
   */
  public static final List<String> SIDE_FILES =
      List.of(
          "tokenizer.json",
          "tokenizer_config.json",
          "tokenizer.model",
          "special_tokens_map.json",
          "generation_config.json",
          "chat_template.jinja");

  /** Name of the file recording how the student was seeded. */
  public static final String SEEDING_FILE = "seeding.json";

  private Students() {}

  /**
   * Seeds a student with the default conv kernel (2) and chunk size (128) and writes it to {@code
   * out}, which must be missing or empty.
   */
  public static DecoderConfig convert(
      Path teacherDir, HybridLayout layout, InitStrategy init, long seed, Path out) {
    return convert(
        teacherDir,
        layout,
        init,
        seed,
        Seeder.DEFAULT_CONV_KERNEL,
        Seeder.DEFAULT_CHUNK_SIZE,
        out,
        false);
  }

  /**
   * Loads the teacher (float32), seeds the student ({@link Seeder}) and saves it in the released
   * mmMamba layout ({@code config.json} with {@code layers_block_type}, safetensors with {@code
   * wvkqgdt} packing; each file written atomically), plus {@value #SEEDING_FILE} and the teacher's
   * {@link #SIDE_FILES}.
   *
   * @param force allow a non-empty {@code out} (its weight files are replaced); never the teacher's
   *     own directory
   * @return the student's config
   * @throws BadInputException for a bad teacher, layout, or output directory
   */
  public static DecoderConfig convert(
      Path teacherDir,
      HybridLayout layout,
      InitStrategy init,
      long seed,
      int convKernel,
      int chunkSize,
      Path out,
      boolean force) {
    checkOut(teacherDir, out, force);
    // Fail on a bad layout or teacher config before reading any weights.
    Seeder.studentConfig(HfConfigs.read(teacherDir), layout, convKernel, chunkSize);
    try (NDManager m = NDManager.newBaseManager()) {
      DecoderModel student;
      try (DecoderModel teacher = ModelIo.load(teacherDir, m, DataType.FLOAT32)) {
        student =
            Seeder.seed(
                teacher.config(), teacher.weights(), layout, init, seed, convKernel, chunkSize, m);
      } // the teacher is freed before the student is written
      try (student) {
        ModelIo.save(student, out);
        writeSeeding(out, teacherDir, layout, init, seed, convKernel, chunkSize);
        copySideFiles(teacherDir, out);
        return student.config();
      }
    }
  }

  private static Path requireDir(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new BadInputException(dir + ": teacher directory not found");
    }
    return dir;
  }

  private static void checkOut(Path teacherDir, Path out, boolean force) {
    requireDir(teacherDir);
    if (Files.exists(out)) {
      if (!Files.isDirectory(out)) {
        throw new BadInputException(out + ": --out exists and is not a directory");
      }
      try {
        if (Files.isSameFile(out, teacherDir)) {
          throw new BadInputException(out + ": --out is the teacher's directory");
        }
        try (Stream<Path> s = Files.list(out)) {
          if (s.findAny().isPresent() && !force) {
            throw new BadInputException(out + ": --out is not empty (use --force to overwrite)");
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot inspect " + out, e);
      }
    }
  }

  /**
   * Writes {@code out/seeding.json}: the teacher, layout, init strategy, seed and Mamba-2
   * conv/chunk sizes a student checkpoint was converted with.
   */
  public static void writeSeeding(
      Path out,
      Path teacherDir,
      HybridLayout layout,
      InitStrategy init,
      long seed,
      int convKernel,
      int chunkSize) {
    ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode o = om.createObjectNode();
    o.put("teacher", teacherDir.toAbsolutePath().normalize().toString());
    o.put("layout", layout.toString());
    o.put("init", init.spelling());
    o.put("seed", seed);
    o.put("conv_kernel", convKernel);
    o.put("chunk_size", chunkSize);
    try {
      AtomicText.writeString(out.resolve(SEEDING_FILE), om.writeValueAsString(o) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void copySideFiles(Path teacherDir, Path out) {
    for (String f : SIDE_FILES) {
      Path src = teacherDir.resolve(f);
      if (Files.isRegularFile(src)) {
        try {
          AtomicText.writeBytes(out.resolve(f), Files.readAllBytes(src));
        } catch (IOException e) {
          throw new UncheckedIOException("cannot copy " + src, e);
        }
      }
    }
  }
}
