package org.mmmamba.distill;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.io.CheckpointReader;
import org.mmmamba.core.io.SafetensorsWriter;
import org.mmmamba.core.io.TensorInfo;

/**
 * Assembles the stage results of runs that each trained a subset of layers ({@code distill
 * --layers}) into one run directory: {@code OUT/stageK/mixers.safetensors} is the union of the
 * parts' tensors (a tensor in two parts must be identical). Stage 3 then starts from it with {@code
 * init.from}.
 */
public final class Merge {
  private Merge() {}

  /**
   * Merges every {@code stageK/mixers.safetensors} present in all parts; returns the files written.
   */
  public static List<Path> run(Path out, List<Path> parts) throws java.io.IOException {
    if (parts.size() < 2) {
      throw new BadInputException("merge: give at least two part directories");
    }
    List<Path> written = new java.util.ArrayList<>();
    for (String stage : List.of("stage1", "stage2")) {
      boolean any =
          parts.stream()
              .anyMatch(p -> Files.exists(p.resolve(stage).resolve("mixers.safetensors")));
      if (!any) {
        continue;
      }
      Map<String, float[]> merged = new LinkedHashMap<>();
      Map<String, long[]> shapes = new LinkedHashMap<>();
      for (Path p : parts) {
        Path f = p.resolve(stage).resolve("mixers.safetensors");
        if (!Files.exists(f)) {
          throw new BadInputException(f + ": missing (every part must have run " + stage + ")");
        }
        try (CheckpointReader r = CheckpointReader.open(f)) {
          for (String n : r.names()) {
            TensorInfo info = r.info(n);
            float[] v = r.readFloats(n);
            float[] prev = merged.putIfAbsent(n, v);
            if (prev != null && !Arrays.equals(prev, v)) {
              throw new BadInputException(
                  f + ": tensor '" + n + "' differs from another part's (overlapping layers?)");
            }
            shapes.put(n, info.shape());
          }
        }
      }
      SafetensorsWriter w =
          new SafetensorsWriter()
              .metadata("format", "mmmamba-mixers")
              .metadata("merged_from", parts.toString());
      merged.forEach((n, v) -> w.addFloats(n, shapes.get(n), v));
      Path target = out.resolve(stage).resolve("mixers.safetensors");
      Files.createDirectories(target.getParent());
      w.write(target);
      written.add(target);
    }
    if (written.isEmpty()) {
      throw new BadInputException("merge: no part has stage1/ or stage2/mixers.safetensors");
    }
    return written;
  }
}
