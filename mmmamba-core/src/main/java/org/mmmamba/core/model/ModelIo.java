package org.mmmamba.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.HfConfigs;
import org.mmmamba.core.io.AtomicText;
import org.mmmamba.core.io.CheckpointReader;
import org.mmmamba.core.io.CheckpointWriter;
import org.mmmamba.core.io.NdArrays;
import org.mmmamba.core.io.SafetensorsWriter;
import org.mmmamba.core.io.TensorInfo;
import org.mmmamba.core.io.WeightMap;
import org.mmmamba.core.io.WeightMaps;

/**
 * Loads and saves {@link DecoderModel}s as HF-format directories ({@code config.json} + safetensors, sharded
 * when large), in any family's layout, through the {@link WeightMaps} tables.
 */
public final class ModelIo {
  static {
    Offline.init();
  }

  /** Shard size used when saving (HF's default is 5 GB; smaller shards keep peak memory of readers low). */
  public static final long DEFAULT_SHARD_BYTES = 2L << 30;

  private ModelIo() {}

  /** Loads a checkpoint directory with {@code config.json}; weights converted to {@code dtype}. */
  public static DecoderModel load(Path dir, NDManager m, DataType dtype) {
    if (!Files.isDirectory(dir)) {
      throw new BadInputException(dir + ": model directory not found");
    }
    DecoderConfig c = HfConfigs.read(dir);
    try (CheckpointReader r = CheckpointReader.open(dir)) {
      Weights w = new Weights(m, dtype);
      try {
        Set<String> used = loadInto(w, r, WeightMaps.of(c), dir.toString());
        for (String name : r.names()) {
          if (!used.contains(name)) {
            throw new BadInputException(dir + ": unexpected tensor '" + name + "' for a " + c.family()
                + " checkpoint with this config");
          }
        }
        return new DecoderModel(c, w);
      } catch (RuntimeException e) {
        w.close();
        throw e;
      }
    }
  }

  /**
   * Loads every tensor of {@code map} from {@code r} into {@code w}, checking presence and shapes.
   *
   * @return the checkpoint names consumed (including ignored optional ones that were present)
   */
  public static Set<String> loadInto(Weights w, CheckpointReader r, WeightMap map, String where) {
    Set<String> used = new HashSet<>();
    for (WeightMap.Entry e : map.entries()) {
      if (!r.contains(e.name())) {
        throw new BadInputException(where + ": missing tensor '" + e.name() + "'");
      }
      TensorInfo info = r.info(e.name());
      if (!Arrays.equals(info.shape(), e.shape())) {
        throw new BadInputException(where + ": tensor '" + e.name() + "' has shape " + Arrays.toString(info.shape())
            + ", expected " + Arrays.toString(e.shape()));
      }
    }
    Map<String, TreeMap<Long, NDArray>> parts = new LinkedHashMap<>();
    NDManager tmp = w.manager().newSubManager();
    try {
      for (WeightMap.Entry e : map.entries()) {
        NDArray a = NdArrays.load(tmp, r, e.name(), w.dtype());
        used.add(e.name());
        if (e.canonicalShape() != null) {
          a = a.reshape(new Shape(e.canonicalShape()));
        }
        long row = 0;
        for (WeightMap.Block b : e.blocks()) {
          NDArray piece = e.blocks().size() == 1 ? a : a.get("{}:{}", row, row + b.rows());
          parts.computeIfAbsent(b.canonical(), k -> new TreeMap<>()).put(b.canonicalRow(), piece);
          row += b.rows();
        }
      }
      for (Map.Entry<String, TreeMap<Long, NDArray>> p : parts.entrySet()) {
        NDList list = new NDList(p.getValue().values());
        NDArray whole = list.size() == 1 ? list.get(0) : NDArrays.concat(list, 0);
        // duplicate() gives the store its own contiguous copy, independent of the temporary file views.
        w.put(p.getKey(), whole.duplicate());
      }
    } finally {
      tmp.close();
    }
    for (String o : map.optional()) {
      if (r.contains(o)) {
        used.add(o);
      }
    }
    return used;
  }

  /** Saves a model in the layout of {@code model.config().family()}: config.json + safetensors (atomic per file). */
  public static void save(DecoderModel model, Path dir) {
    save(model.config(), model.weights(), dir);
  }

  /** Saves config and weights; a canonical tensor absent from the family's table is an error. */
  public static void save(DecoderConfig c, Weights w, Path dir) {
    try {
      Files.createDirectories(dir);
      SafetensorsWriter sw = new SafetensorsWriter().metadata("format", "pt");
      Set<String> written = addAll(sw, w, WeightMaps.of(c));
      for (String name : w.names()) {
        if (!written.contains(name)) {
          // Silently dropping a tensor would lose trained weights: a table/config mismatch is a bug.
          throw new IllegalStateException("tensor '" + name + "' has no place in the " + c.family()
              + " layout of this config");
        }
      }
      CheckpointWriter.write(dir, sw, DEFAULT_SHARD_BYTES);
      ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
      AtomicText.writeString(dir.resolve("config.json"), om.writeValueAsString(HfConfigs.toJson(c)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write model to " + dir, e);
    }
  }

  /**
   * Adds every checkpoint tensor of {@code map}, assembled from the canonical tensors, to {@code sw}.
   *
   * @return the canonical names used
   */
  public static Set<String> addAll(SafetensorsWriter sw, Weights w, WeightMap map) {
    Set<String> used = new HashSet<>();
    for (WeightMap.Entry e : map.entries()) {
      List<WeightMap.Block> blocks = e.blocks();
      NDList pieces = new NDList();
      for (WeightMap.Block b : blocks) {
        NDArray canon = w.get(b.canonical());
        used.add(b.canonical());
        pieces.add(blocks.size() == 1 ? canon : canon.get("{}:{}", b.canonicalRow(), b.canonicalRow() + b.rows()));
      }
      NDArray whole = pieces.size() == 1 ? pieces.get(0) : NDArrays.concat(pieces, 0);
      NdArrays.put(sw, e.name(), whole.reshape(new Shape(e.shape())).toType(DataType.FLOAT32, false));
    }
    return used;
  }
}
