package org.mmmamba.distill.stage;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.config.ParamNames;
import org.mmmamba.core.io.CheckpointReader;
import org.mmmamba.core.io.SafetensorsWriter;
import org.mmmamba.core.io.TensorIo;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.Weights;

/**
 * The Mamba-2 tensors a stage trains: marking them trainable and frozen again, and the {@code
 * mixers.safetensors} file a layer-wise stage leaves (every Mamba-2 tensor of its layers).
 */
public final class Mixers {
  private Mixers() {}

  /** Every Mamba-2 tensor of the given layers. */
  public static List<String> names(DecoderModel m, List<Integer> layers) {
    return m.weights().names().stream()
        .filter(n -> n.contains(".mamba.") && layers.contains(ParamNames.layerOf(n)))
        .collect(Collectors.toList());
  }

  /** The named tensors, now requiring gradients. */
  public static Map<String, NDArray> trainable(Weights w, List<String> names) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (String n : names) {
      NDArray a = w.get(n);
      a.setRequiresGradient(true);
      out.put(n, a);
    }
    return out;
  }

  /** Stops the tensors requiring gradients. */
  public static void freeze(Map<String, NDArray> ps) {
    for (NDArray a : ps.values()) {
      a.setRequiresGradient(false);
    }
  }

  /** Saves the named tensors atomically (float32/64 as stored). */
  public static void save(Weights w, List<String> names, Path file) throws IOException {
    Files.createDirectories(file.getParent());
    SafetensorsWriter sw = new SafetensorsWriter().metadata("format", "mmmamba-mixers");
    for (String n : names) {
      TensorIo.put(sw, n, w.get(n));
    }
    sw.write(file);
  }

  /** Loads every tensor of {@code file} into the same-named tensors of {@code w}, in place. */
  public static void load(Weights w, Path file) {
    try (CheckpointReader r = CheckpointReader.open(file)) {
      for (String n : r.names()) {
        if (!w.contains(n)) {
          throw new BadInputException(file + ": unexpected tensor '" + n + "' for this student");
        }
        TensorIo.copyInto(r, n, w.get(n));
      }
    }
  }
}
