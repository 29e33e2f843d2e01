package org.mmmamba.core.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Writes a Hugging Face style checkpoint directory from a {@link SafetensorsWriter}'s tensors.
 *
 * <p>Layout, as {@code transformers}' {@code save_pretrained} does it: tensors are packed in
 * insertion order into shards of at most {@code maxShardBytes} of tensor data (a single larger
 * tensor gets a shard of its own). One shard is written as {@code model.safetensors}; several as
 * {@code model-00001-of-0000N.safetensors} plus {@code model.safetensors.index.json} holding {@code
 * metadata.total_size} (bytes of tensor data) and the {@code weight_map} (name to shard file,
 * sorted by name). Every shard carries the writer's metadata.
 *
 * <p>Each file is replaced atomically; the set of files is not (the index is written last, so a
 * crash part-way leaves the previous index, which may then disagree with new shards of the same
 * names). After a successful write, weight files of an earlier save that the new layout does not
 * use (an old index, {@code model.safetensors}, or {@code model-*-of-*.safetensors}) are deleted,
 * so that {@link CheckpointReader} cannot pick up stale weights. Other files in the directory are
 * left alone.
 */
public final class CheckpointWriter {
  /** File name of an unsharded checkpoint. */
  public static final String SINGLE_FILE = "model.safetensors";

  /** File name of the shard index. */
  public static final String INDEX_FILE = "model.safetensors.index.json";

  private static final Pattern SHARD_NAME = Pattern.compile("model-\\d{5}-of-\\d{5}\\.safetensors");

  private CheckpointWriter() {}

  /**
   * Writes the tensors and metadata of {@code tensors} into {@code dir} (created if missing).
   *
   * @param maxShardBytes most bytes of tensor data per shard, {@code > 0}
   * @return the weight files written, in shard order (the index, if any, is not included)
   * @throws IllegalArgumentException if {@code maxShardBytes <= 0}
   * @throws UncheckedIOException on I/O failure
   */
  public static List<Path> write(Path dir, SafetensorsWriter tensors, long maxShardBytes) {
    if (maxShardBytes <= 0) {
      throw new IllegalArgumentException("maxShardBytes must be > 0, got " + maxShardBytes);
    }
    List<List<SafetensorsWriter.Entry>> shards = partition(tensors.entries(), maxShardBytes);
    Map<String, String> metadata = tensors.metadataView();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir + ": " + e, e);
    }

    List<Path> written = new ArrayList<>();
    if (shards.size() == 1) {
      Path file = dir.resolve(SINGLE_FILE);
      SafetensorsWriter.writeFile(file, metadata, shards.get(0));
      written.add(file);
      deleteStale(dir, Set.of(SINGLE_FILE));
      return written;
    }

    Map<String, String> weightMap = new TreeMap<>();
    long totalSize = 0;
    for (int i = 0; i < shards.size(); i++) {
      String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
      Path file = dir.resolve(name);
      SafetensorsWriter.writeFile(file, metadata, shards.get(i));
      written.add(file);
      for (SafetensorsWriter.Entry e : shards.get(i)) {
        weightMap.put(e.name(), name);
        totalSize += e.bytes();
      }
    }
    writeIndex(dir.resolve(INDEX_FILE), totalSize, weightMap);
    Set<String> keep = new HashSet<>();
    keep.add(INDEX_FILE);
    written.forEach(p -> keep.add(p.getFileName().toString()));
    deleteStale(dir, keep);
    return written;
  }

  /** Greedy packing in insertion order, as transformers does; never returns an empty list. */
  static List<List<SafetensorsWriter.Entry>> partition(
      List<SafetensorsWriter.Entry> entries, long maxShardBytes) {
    List<List<SafetensorsWriter.Entry>> shards = new ArrayList<>();
    List<SafetensorsWriter.Entry> current = new ArrayList<>();
    long size = 0;
    for (SafetensorsWriter.Entry e : entries) {
      if (!current.isEmpty() && size + e.bytes() > maxShardBytes) {
        shards.add(current);
        current = new ArrayList<>();
        size = 0;
      }
      current.add(e);
      size += e.bytes();
    }
    shards.add(current);
    return shards;
  }

  private static void writeIndex(Path file, long totalSize, Map<String, String> weightMap) {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = mapper.createObjectNode();
    root.putObject("metadata").put("total_size", totalSize);
    ObjectNode map = root.putObject("weight_map");
    weightMap.forEach(map::put);
    byte[] json;
    try {
      json =
          (mapper.writeValueAsString(root) + "\n")
              .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // in-memory; cannot happen
    }
    AtomicFiles.write(
        file,
        out -> {
          ByteBuffer b = ByteBuffer.wrap(json);
          while (b.hasRemaining()) {
            out.write(b);
          }
        });
  }

  private static void deleteStale(Path dir, Set<String> keep) {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path p : files) {
        String name = p.getFileName().toString();
        boolean weightFile =
            name.equals(SINGLE_FILE)
                || name.equals(INDEX_FILE)
                || SHARD_NAME.matcher(name).matches();
        if (weightFile && !keep.contains(name)) {
          Files.deleteIfExists(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean stale weight files in " + dir + ": " + e, e);
    }
  }
}
