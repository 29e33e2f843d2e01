package org.mmmamba.app.robust;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.mmmamba.app.cli.Main;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.io.CheckpointReader;
import org.mmmamba.core.io.SafetensorsWriter;
import org.mmmamba.core.io.TensorInfo;
import org.mmmamba.core.model.ModelIo;
import org.mmmamba.core.model.RandomWeights;
import org.mmmamba.core.model.Weights;
import org.mmmamba.distill.TinyRuns;
import picocli.CommandLine;

/**
 * Fixtures of the robustness tests: tiny models written in milliseconds, one tiny trained VLM
 * teacher per JVM, file corruptions, directory snapshots and an in-process CLI runner.
 */
public final class Fx {
  static {
    Offline.init();
  }

  /**
   * The tiny Llama every text-model case uses: vocab 41, width 32, 4 layers,
   * max_position_embeddings 4096.
   */
  public static final DecoderConfig LLAMA = DecoderConfig.llama(41, 32, 4, 4, 2, 8, 48);

  private static Path sharedRoot;
  private static Path teacher;

  private Fx() {}

  /** A temp directory that lives as long as the JVM (shared fixtures). */
  public static synchronized Path sharedRoot() {
    if (sharedRoot == null) {
      try {
        sharedRoot = Files.createTempDirectory("mmmamba-robust-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Path r = sharedRoot;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(r)));
    }
    return sharedRoot;
  }

  /**
   * The tiny trained VLM teacher of {@link TinyRuns#teacher}, trained once per JVM (a few seconds).
   */
  public static synchronized Path teacher() {
    if (teacher == null) {
      try {
        teacher = TinyRuns.teacher(sharedRoot().resolve("teacher"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return teacher;
  }

  /**
   * Writes a random {@link #LLAMA} checkpoint (config.json + model.safetensors + a placeholder
   * tokenizer).
   */
  public static Path llama(Path dir) {
    return model(dir, LLAMA);
  }

  /** Writes a random checkpoint of {@code c}. */
  public static Path model(Path dir, DecoderConfig c) {
    try (NDManager m = NDManager.newBaseManager();
        Weights w = RandomWeights.create(c, m, DataType.FLOAT32, 4, 0.2)) {
      ModelIo.save(c, w, dir);
      Files.writeString(dir.resolve("tokenizer.json"), "{\"fake\": true}");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }

  /** Copies a directory tree. */
  public static Path copy(Path from, Path to) {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path q = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(q);
        } else {
          Files.copy(p, q, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return to;
  }

  /** Writes text, creating parent directories. */
  public static Path write(Path file, String text) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  /** Keeps the first {@code fraction} of a file's bytes. */
  public static Path truncate(Path file, double fraction) {
    try {
      byte[] b = Files.readAllBytes(file);
      Files.write(file, Arrays.copyOf(b, (int) (b.length * fraction)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  /** Overwrites {@code n} bytes at {@code offset} with 0xFF. */
  public static Path scribble(Path file, int offset, int n) {
    try {
      byte[] b = Files.readAllBytes(file);
      Arrays.fill(b, offset, Math.min(b.length, offset + n), (byte) 0xFF);
      Files.write(file, b);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  /** A float32 tensor: name, shape and values. */
  public record Tensor(String name, long[] shape, float[] values) {}

  /**
   * Rewrites a float32 safetensors file through {@code edit} (which may drop, add or reshape
   * tensors); the metadata {@code format: pt} is kept.
   */
  public static Path rewrite(Path file, UnaryOperator<List<Tensor>> edit) {
    List<Tensor> ts = new ArrayList<>();
    try (CheckpointReader r = CheckpointReader.open(file)) {
      for (String n : r.names()) {
        TensorInfo t = r.info(n);
        ts.add(new Tensor(n, t.shape(), r.readFloats(n)));
      }
    }
    SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
    for (Tensor t : edit.apply(ts)) {
      w.addFloats(t.name(), t.shape(), t.values());
    }
    w.write(file);
    return file;
  }

  /** The only safetensors file of a model directory. */
  public static Path weightsFile(Path modelDir) {
    try (Stream<Path> s = Files.list(modelDir)) {
      List<Path> fs = s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
      if (fs.size() != 1) {
        throw new IllegalStateException(modelDir + ": expected one safetensors file, got " + fs);
      }
      return fs.get(0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Relative path -> SHA-256 of every regular file under {@code root} (empty if it does not exist).
   */
  public static Map<String, String> snapshot(Path root) {
    Map<String, String> out = new TreeMap<>();
    if (!Files.exists(root)) {
      return out;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (Files.isRegularFile(p)) {
          out.put(root.relativize(p).toString(), sha256(Files.readAllBytes(p)));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Exit code and captured streams of one CLI run. */
  public record CliResult(int code, String out, String err) {
    /** The non-blank lines of stderr. */
    public List<String> errLines() {
      return err.lines().filter(l -> !l.isBlank()).toList();
    }
  }

  /** Runs {@code mmmamba ARGS} in this JVM with picocli's streams captured. */
  public static CliResult cli(String... args) {
    CommandLine cl = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new CliResult(code, out.toString(), err.toString());
  }

  /** Deletes a tree, ignoring errors. */
  public static void deleteQuietly(Path root) {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc)
                throws IOException {
              Files.deleteIfExists(dir);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException | UncheckedIOException e) {
      // best effort
    }
  }
}
