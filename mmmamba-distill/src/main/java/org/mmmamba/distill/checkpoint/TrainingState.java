package org.mmmamba.distill.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.mmmamba.core.BadInputException;

/**
 * Where a run stands, besides its tensors: what {@code --resume} needs to continue exactly.
 *
 * @param step optimiser steps completed (the checkpoint directory is named after it)
 * @param epoch passes over the data completed
 * @param sampleCursor position in the current epoch's sample order (samples consumed)
 * @param schedulePosition the learning-rate schedule position of the next step ({@code
 *     GradientStep.position()}; differs from {@code step} only when steps were skipped or stages
 *     restart their schedule)
 * @param seeds named RNG seeds the run derives its random streams from (e.g. "data", "init")
 * @param metadata free-form strings for the record (stage name, config hash, ...)
 */
public record TrainingState(
    long step,
    long epoch,
    long sampleCursor,
    long schedulePosition,
    Map<String, Long> seeds,
    Map<String, String> metadata) {
  /** The {@code format} value of {@code state.json}. */
  public static final String FORMAT = "mmmamba-training-state";

  /** The {@code version} value of {@code state.json}. */
  public static final int VERSION = 1;

  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Copies the maps (insertion order kept) and checks the counters. */
  public TrainingState {
    seeds =
        Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(seeds, "seeds")));
    metadata =
        Collections.unmodifiableMap(
            new LinkedHashMap<>(Objects.requireNonNull(metadata, "metadata")));
    if (step < 0 || epoch < 0 || sampleCursor < 0 || schedulePosition < 0) {
      throw new IllegalArgumentException(
          "counters must be >= 0: step="
              + step
              + " epoch="
              + epoch
              + " sampleCursor="
              + sampleCursor
              + " schedulePosition="
              + schedulePosition);
    }
  }

  /** A state at {@code step} with the schedule at the same position, no seeds and no metadata. */
  public static TrainingState atStep(long step) {
    return new TrainingState(step, 0, 0, step, Map.of(), Map.of());
  }

  /** The JSON text of {@code state.json}, listing the tensor files the checkpoint holds. */
  String toJson(String weightsFile, String optimizerFile) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("format", FORMAT);
    o.put("version", VERSION);
    o.put("step", step);
    o.put("epoch", epoch);
    o.put("sample_cursor", sampleCursor);
    o.put("schedule_position", schedulePosition);
    ObjectNode s = o.putObject("seeds");
    seeds.forEach(s::put);
    ObjectNode m = o.putObject("metadata");
    metadata.forEach(m::put);
    ObjectNode f = o.putObject("files");
    f.put("weights", weightsFile);
    if (optimizerFile == null) {
      f.putNull("optimizer");
    } else {
      f.put("optimizer", optimizerFile);
    }
    try {
      return MAPPER.writeValueAsString(o) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Reads {@code state.json}.
   *
   * @throws BadInputException naming the file and key if it is missing, not JSON, of another format
   *     or version, or a field is missing or of the wrong type
   */
  public static TrainingState read(Path file) {
    JsonNode o = parse(file);
    String format = o.path("format").asText(null);
    if (!FORMAT.equals(format)) {
      throw new BadInputException(file + ": key 'format' is " + format + ", expected " + FORMAT);
    }
    if (o.path("version").asInt(-1) != VERSION) {
      throw new BadInputException(
          file + ": key 'version' is " + o.get("version") + ", expected " + VERSION);
    }
    Map<String, Long> seeds = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : object(o, "seeds", file).properties()) {
      if (!e.getValue().isIntegralNumber() || !e.getValue().canConvertToLong()) {
        throw new BadInputException(file + ": key 'seeds." + e.getKey() + "' must be an integer");
      }
      seeds.put(e.getKey(), e.getValue().longValue());
    }
    Map<String, String> meta = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : object(o, "metadata", file).properties()) {
      if (!e.getValue().isTextual()) {
        throw new BadInputException(file + ": key 'metadata." + e.getKey() + "' must be a string");
      }
      meta.put(e.getKey(), e.getValue().textValue());
    }
    try {
      return new TrainingState(
          counter(o, "step", file),
          counter(o, "epoch", file),
          counter(o, "sample_cursor", file),
          counter(o, "schedule_position", file),
          seeds,
          meta);
    } catch (IllegalArgumentException e) {
      throw new BadInputException(file + ": " + e.getMessage(), e);
    }
  }

  /** The file name recorded under {@code files.<key>}, or null if recorded as null. */
  static String fileName(Path stateFile, String key) {
    JsonNode f = object(parse(stateFile), "files", stateFile).get(key);
    if (f == null) {
      throw new BadInputException(stateFile + ": missing key 'files." + key + "'");
    }
    if (f.isNull()) {
      return null;
    }
    String name = f.asText();
    if (!f.isTextual()
        || name.isEmpty()
        || name.contains("/")
        || name.contains("\\")
        || name.startsWith(".")) {
      throw new BadInputException(
          stateFile + ": key 'files." + key + "' must be a plain file name, got " + f);
    }
    return name;
  }

  private static JsonNode parse(Path file) {
    try {
      JsonNode o = MAPPER.readTree(Files.readAllBytes(file));
      if (o == null || !o.isObject()) {
        throw new BadInputException(file + ": not a JSON object");
      }
      return o;
    } catch (NoSuchFileException e) {
      throw new BadInputException(file + ": no such file", e);
    } catch (IOException e) {
      String msg = String.valueOf(e.getMessage());
      int nl = msg.indexOf('\n');
      throw new BadInputException(
          file + ": not valid JSON: " + (nl < 0 ? msg : msg.substring(0, nl)), e);
    }
  }

  private static JsonNode object(JsonNode o, String key, Path file) {
    JsonNode n = o.get(key);
    if (n == null || !n.isObject()) {
      throw new BadInputException(file + ": key '" + key + "' must be an object");
    }
    return n;
  }

  private static long counter(JsonNode o, String key, Path file) {
    JsonNode n = o.get(key);
    if (n == null || !n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0) {
      throw new BadInputException(file + ": key '" + key + "' must be an integer >= 0, got " + n);
    }
    return n.longValue();
  }
}
