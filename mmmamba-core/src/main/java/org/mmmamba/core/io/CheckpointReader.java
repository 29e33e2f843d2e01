package org.mmmamba.core.io;

import static org.mmmamba.core.io.SafetensorsHeader.quote;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import org.mmmamba.core.BadInputException;

/**
 * Reads tensors by name from a Hugging Face checkpoint, whether it is one file or sharded.
 *
 * <p>{@link #open} accepts, in this order of preference:
 *
 * <ol>
 *   <li>a single {@code .safetensors} file;
 *   <li>a directory with {@code model.safetensors.index.json}: its {@code weight_map} says which
 *       shard holds each tensor; shards are opened lazily, each at most once;
 *   <li>a directory with {@code model.safetensors};
 *   <li>otherwise every {@code *.safetensors} file in the directory (a name in two files is an
 *       error).
 * </ol>
 *
 * <p>Bad input (missing files, malformed headers or index, a tensor the index promises but the
 * shard lacks) is reported as {@link BadInputException} naming the file and tensor. Thread-safe.
 */
public final class CheckpointReader implements AutoCloseable {
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  /** Real indexes are a few hundred KB; refuse anything that could exhaust memory. */
  private static final long MAX_INDEX_BYTES = 100_000_000L;

  private final String label;

  /** Tensor name to the file holding it; sorted, which is the order {@link #names()} promises. */
  private final NavigableMap<String, Path> fileByName;

  /** Set only for an index: where each mapping came from, for error messages. */
  private final Path index;

  private final Map<Path, SafetensorsFile> opened = new HashMap<>();
  private boolean closed;

  private CheckpointReader(String label, NavigableMap<String, Path> fileByName, Path index) {
    this.label = label;
    this.fileByName = fileByName;
    this.index = index;
  }

  /**
   * Opens a checkpoint file or directory (see the class comment for what is accepted).
   *
   * @throws BadInputException if nothing loadable is there or a file is malformed
   */
  public static CheckpointReader open(Path dirOrFile) {
    if (Files.isRegularFile(dirOrFile)) {
      return fromFiles(dirOrFile.toString(), List.of(dirOrFile));
    }
    if (!Files.isDirectory(dirOrFile)) {
      throw new BadInputException(dirOrFile + ": no such file or directory");
    }
    Path index = dirOrFile.resolve(CheckpointWriter.INDEX_FILE);
    if (Files.isRegularFile(index)) {
      return fromIndex(dirOrFile, index);
    }
    Path single = dirOrFile.resolve(CheckpointWriter.SINGLE_FILE);
    if (Files.isRegularFile(single)) {
      return fromFiles(dirOrFile.toString(), List.of(single));
    }
    List<Path> all = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dirOrFile, "*.safetensors")) {
      ds.forEach(all::add);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dirOrFile + ": " + e, e);
    }
    if (all.isEmpty()) {
      throw new BadInputException(
          dirOrFile + ": no .safetensors files and no " + CheckpointWriter.INDEX_FILE);
    }
    Collections.sort(all); // deterministic duplicate reports
    return fromFiles(dirOrFile.toString(), all);
  }

  /** Opens every file now: without an index, the headers are the only way to learn the names. */
  private static CheckpointReader fromFiles(String label, List<Path> files) {
    NavigableMap<String, Path> byName = new TreeMap<>();
    CheckpointReader r = new CheckpointReader(label, byName, null);
    try {
      for (Path p : files) {
        SafetensorsFile f = SafetensorsFile.open(p);
        r.opened.put(p, f);
        for (TensorInfo t : f.tensors()) {
          Path other = byName.putIfAbsent(t.name(), p);
          if (other != null) {
            throw new BadInputException(
                label
                    + ": tensor "
                    + quote(t.name())
                    + " is in both "
                    + other.getFileName()
                    + " and "
                    + p.getFileName());
          }
        }
      }
    } catch (RuntimeException e) {
      r.close();
      throw e;
    }
    return r;
  }

  private static CheckpointReader fromIndex(Path dir, Path index) {
    JsonNode root;
    try {
      long size = Files.size(index);
      if (size > MAX_INDEX_BYTES) {
        throw new BadInputException(index + ": " + size + " bytes is too large for a shard index");
      }
      root = MAPPER.readTree(index.toFile());
    } catch (IOException e) {
      throw new BadInputException(index + ": not valid JSON: " + firstLine(e.getMessage()), e);
    }
    JsonNode map = root == null ? null : root.get("weight_map");
    if (map == null || !map.isObject()) {
      throw new BadInputException(index + ": missing 'weight_map' object");
    }
    Path base = dir.toAbsolutePath().normalize();
    NavigableMap<String, Path> byName = new TreeMap<>();
    for (Map.Entry<String, JsonNode> e : map.properties()) {
      if (!e.getValue().isTextual()) {
        throw new BadInputException(
            index + ": weight_map entry " + quote(e.getKey()) + " is not a file name");
      }
      String shard = e.getValue().textValue();
      Path p;
      try {
        p = dir.resolve(shard).normalize();
      } catch (InvalidPathException ex) {
        p = null;
      }
      // A hostile index must not make us read files outside the checkpoint directory.
      Path abs = p == null ? null : p.toAbsolutePath().normalize();
      if (abs == null || !abs.startsWith(base) || abs.equals(base)) {
        throw new BadInputException(
            index
                + ": weight_map entry "
                + quote(e.getKey())
                + " points outside the directory: "
                + quote(shard));
      }
      byName.put(e.getKey(), p);
    }
    return new CheckpointReader(index.toString(), byName, index);
  }

  /** All tensor names, sorted lexicographically (for every layout). Unmodifiable. */
  public Set<String> names() {
    return Collections.unmodifiableNavigableSet(fileByName.navigableKeySet());
  }

  /** Whether the checkpoint has a tensor of this name. */
  public boolean contains(String name) {
    return fileByName.containsKey(name);
  }

  /**
   * The file holding a tensor (from the index, if there is one; the file is not opened).
   *
   * @throws BadInputException if there is no such tensor
   */
  public Path fileOf(String name) {
    Path p = fileByName.get(name);
    if (p == null) {
      throw new BadInputException(label + ": no tensor " + quote(name));
    }
    return p;
  }

  /** The header entry of a tensor; see {@link SafetensorsFile#info}. */
  public TensorInfo info(String name) {
    return fileFor(name).info(name);
  }

  /** Reads a tensor as floats; see {@link SafetensorsFile#readFloats}. */
  public float[] readFloats(String name) {
    return fileFor(name).readFloats(name);
  }

  /** Reads a tensor as doubles; see {@link SafetensorsFile#readDoubles}. */
  public double[] readDoubles(String name) {
    return fileFor(name).readDoubles(name);
  }

  /** Reads an integer tensor as longs; see {@link SafetensorsFile#readLongs}. */
  public long[] readLongs(String name) {
    return fileFor(name).readLongs(name);
  }

  /** Converts a tensor into a float buffer; see {@link SafetensorsFile#readFloatsInto}. */
  public void readFloatsInto(String name, FloatBuffer dst) {
    fileFor(name).readFloatsInto(name, dst);
  }

  /** Converts a tensor into a double buffer; see {@link SafetensorsFile#readDoublesInto}. */
  public void readDoublesInto(String name, DoubleBuffer dst) {
    fileFor(name).readDoublesInto(name, dst);
  }

  /** Closes every file opened so far. Idempotent. */
  @Override
  public synchronized void close() {
    closed = true;
    RuntimeException first = null;
    for (SafetensorsFile f : opened.values()) {
      try {
        f.close();
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    opened.clear();
    if (first != null) {
      throw first;
    }
  }

  /** The open file that holds {@code name}, opening its shard on first use. */
  private synchronized SafetensorsFile fileFor(String name) {
    if (closed) {
      throw new IllegalStateException(label + ": checkpoint is closed");
    }
    Path p = fileOf(name);
    SafetensorsFile f = opened.get(p);
    if (f == null) {
      try {
        f = SafetensorsFile.open(p);
      } catch (BadInputException e) {
        // Say which index entry sent us there; keep the shard's own message.
        throw new BadInputException(
            index
                + " maps tensor "
                + quote(name)
                + " to "
                + p.getFileName()
                + ": "
                + e.getMessage(),
            e);
      }
      opened.put(p, f);
    }
    if (!f.contains(name)) {
      throw new BadInputException(
          index
              + " maps tensor "
              + quote(name)
              + " to "
              + p.getFileName()
              + ", which has no such tensor");
    }
    return f;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
