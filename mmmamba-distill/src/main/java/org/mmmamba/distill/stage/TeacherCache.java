package org.mmmamba.distill.stage;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.mmmamba.core.io.CheckpointReader;
import org.mmmamba.core.io.NdArrays;
import org.mmmamba.core.io.SafetensorsWriter;
import org.mmmamba.core.io.TensorIo;
import org.mmmamba.distill.data.Batch;

/**
 * The teacher's per-layer signals of stages 1-2 ({@link LayerwiseLoss#teacherSignals}) cached on
 * disk, so the teacher runs once per batch however many stages, epochs or layer-subset processes
 * reuse it. One safetensors file per (batch, layer), written atomically, read back one batch at a
 * time: memory stays bounded by one batch. Files are keyed by a hash of the batch's sample ids, so
 * processes sharing a filesystem share the cache.
 */
public final class TeacherCache {
  private final Path dir;
  private final NDManager manager;
  private final DataType dtype;
  private long hits;
  private long misses;

  /** A cache in {@code dir}; arrays are loaded into {@code manager} in {@code dtype}. */
  public TeacherCache(Path dir, NDManager manager, DataType dtype) {
    this.dir = dir;
    this.manager = manager;
    this.dtype = dtype;
  }

  /**
   * The signals of {@code layers} for {@code batch}: from disk when every layer is cached, else
   * computed and stored.
   */
  public Map<Integer, NDArray[]> get(
      Batch batch, List<Integer> layers, Supplier<Map<Integer, NDArray[]>> compute)
      throws java.io.IOException {
    String key = key(batch);
    boolean all = true;
    for (int l : layers) {
      all &= Files.exists(file(key, l));
    }
    if (all) {
      hits++;
      Map<Integer, NDArray[]> out = new TreeMap<>();
      for (int l : layers) {
        try (CheckpointReader r = CheckpointReader.open(file(key, l))) {
          out.put(
              l,
              new NDArray[] {
                NdArrays.load(manager, r, "u", dtype), NdArrays.load(manager, r, "target", dtype)
              });
        }
      }
      return out;
    }
    misses++;
    Map<Integer, NDArray[]> sig = compute.get();
    Files.createDirectories(dir);
    for (Map.Entry<Integer, NDArray[]> e : sig.entrySet()) {
      SafetensorsWriter w = new SafetensorsWriter().metadata("batch", key);
      TensorIo.put(w, "u", e.getValue()[0]);
      TensorIo.put(w, "target", e.getValue()[1]);
      w.write(file(key, e.getKey()));
    }
    return sig;
  }

  /** Batches served from disk. */
  public long hits() {
    return hits;
  }

  /** Batches computed by the teacher. */
  public long misses() {
    return misses;
  }

  private Path file(String key, int layer) {
    return dir.resolve(key + "-layer" + layer + ".safetensors");
  }

  /** SHA-256 of the batch's sample ids, in order. */
  static String key(Batch b) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (String id : b.ids()) {
        md.update(id.getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
      }
      return HexFormat.of().formatHex(md.digest()).substring(0, 24);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
