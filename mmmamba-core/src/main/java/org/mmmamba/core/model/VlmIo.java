package org.mmmamba.core.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.config.InternVlChatConfigs;
import org.mmmamba.core.config.ParamNames;
import org.mmmamba.core.config.VlmConfig;
import org.mmmamba.core.config.VlmConfigs;
import org.mmmamba.core.io.AtomicText;
import org.mmmamba.core.io.CheckpointReader;
import org.mmmamba.core.io.CheckpointWriter;
import org.mmmamba.core.io.HovleWeightMap;
import org.mmmamba.core.io.SafetensorsWriter;
import org.mmmamba.core.io.WeightMap;

/**
 * Loads and saves {@link VisionLanguageModel}s as directories: {@code config.json} in the {@link
 * VlmConfigs} layout plus safetensors in the HoVLE layout ({@link HovleWeightMap}), sharded through
 * {@link CheckpointWriter} when large. Every file is replaced atomically.
 */
public final class VlmIo {
  private VlmIo() {}

  /**
   * Loads a model directory; weights converted to {@code dtype}.
   *
   * @throws BadInputException naming the file and tensor when a tensor is missing, unexpected or
   *     mis-shaped, or naming the key when config.json is bad
   */
  public static VisionLanguageModel load(Path dir, NDManager m, DataType dtype) {
    if (!Files.isDirectory(dir)) {
      throw new BadInputException(dir + ": model directory not found");
    }
    VlmConfig c = readConfig(dir);
    WeightMap map = HovleWeightMap.of(c);
    try (CheckpointReader r = CheckpointReader.open(dir)) {
      Weights vw = new Weights(m, dtype);
      Weights dw = new Weights(m, dtype);
      try {
        Set<String> used =
            new HashSet<>(ModelIo.loadInto(vw, r, visionPart(map, true), dir.toString()));
        used.addAll(ModelIo.loadInto(dw, r, visionPart(map, false), dir.toString()));
        for (String name : r.names()) {
          if (!used.contains(name)) {
            throw new BadInputException(
                dir
                    + ": unexpected tensor '"
                    + name
                    + "' for a HoVLE checkpoint with this "
                    + "config");
          }
        }
        return new VisionLanguageModel(c, vw, new DecoderModel(c.stack(), dw, c::layerDims));
      } catch (RuntimeException e) {
        vw.close();
        dw.close();
        throw e;
      }
    }
  }

  /**
   * The config of a model directory: a published HoVLE / released mmMamba config.json ({@code
   * internvl_chat}, {@code mmMamba_chat}; {@link InternVlChatConfigs}) or the project's own layout
   * ({@link VlmConfigs}).
   */
  public static VlmConfig readConfig(Path dir) {
    return InternVlChatConfigs.isOfficial(dir)
        ? InternVlChatConfigs.read(dir)
        : VlmConfigs.read(dir);
  }

  /**
   * True if {@code dir} holds a vision-language model config of either layout (false when it has no
   * config.json).
   */
  public static boolean isVlm(Path dir) {
    Path file = Files.isDirectory(dir) ? dir.resolve("config.json") : dir;
    if (!Files.isRegularFile(file)) {
      return false;
    }
    return InternVlChatConfigs.isOfficial(dir) || VlmConfigs.isVlm(dir);
  }

  /** Saves with {@link ModelIo#DEFAULT_SHARD_BYTES} shards. */
  public static void save(VisionLanguageModel model, Path dir) {
    save(model, dir, ModelIo.DEFAULT_SHARD_BYTES);
  }

  /**
   * Saves config.json and the weights (float32 in the file) in the HoVLE layout.
   *
   * @param maxShardBytes most bytes of tensor data per safetensors shard
   * @throws IllegalStateException if a store holds a tensor the layout has no place for
   */
  public static void save(VisionLanguageModel model, Path dir, long maxShardBytes) {
    VlmConfig c = model.config();
    WeightMap map = HovleWeightMap.of(c);
    checkCovered(model.visionWeights(), visionPart(map, true));
    checkCovered(model.decoder().weights(), visionPart(map, false));
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
    // The conversions inside addAll start from parameters (their results would land in the weights'
    // manager).
    try (NDScope scope = new NDScope()) {
      SafetensorsWriter sw = new SafetensorsWriter().metadata("format", "pt");
      ModelIo.addAll(sw, model.visionWeights(), visionPart(map, true));
      ModelIo.addAll(sw, model.decoder().weights(), visionPart(map, false));
      CheckpointWriter.write(dir, sw, maxShardBytes);
    }
    AtomicText.writeString(dir.resolve("config.json"), VlmConfigs.toJsonString(c));
  }

  /**
   * Five GB, transformers 4.37's default {@code max_shard_size}, with which the released students
   * were saved.
   */
  public static final long RELEASED_SHARD_BYTES = 5_000_000_000L;

  /**
   * Saves a student in the released mmMamba layout (hustvl/mmMamba {@code convert_weight.py}): BF16
   * weights under HoVLE's tensor names (Mamba-2 layers as {@code attention.wvkqgdt} / {@code
   * o_proj} / {@code conv1d} / {@code g_norm_swish_gate} / {@code dt_bias} / {@code A_log_bias}),
   * shards of at most {@code maxShardBytes} with {@code model.safetensors.index.json}, and
   * config.json derived from the teacher's published config.json by {@link
   * InternVlChatConfigs#studentConfig} ({@code _name_or_path} = {@code dir}).
   *
   * @param teacherConfig the teacher's {@code internvl_chat} (or {@code mmMamba_chat}) config.json
   *     tree
   */
  public static void saveReleased(
      VisionLanguageModel model, Path dir, JsonNode teacherConfig, long maxShardBytes) {
    VlmConfig c = model.config();
    WeightMap map = HovleWeightMap.of(c);
    checkCovered(model.visionWeights(), visionPart(map, true));
    checkCovered(model.decoder().weights(), visionPart(map, false));
    ObjectNode cfg =
        InternVlChatConfigs.studentConfig(teacherConfig, c.stack().layerKinds(), dir.toString());
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
    try (NDScope scope = new NDScope()) {
      SafetensorsWriter sw = new SafetensorsWriter().metadata("format", "pt");
      ModelIo.addAllBf16(sw, model.visionWeights(), visionPart(map, true));
      ModelIo.addAllBf16(sw, model.decoder().weights(), visionPart(map, false));
      CheckpointWriter.write(dir, sw, maxShardBytes);
    }
    try {
      AtomicText.writeString(
          dir.resolve("config.json"),
          new com.fasterxml.jackson.databind.ObjectMapper()
                  .writer()
                  .with(SerializationFeature.INDENT_OUTPUT)
                  .writeValueAsString(cfg)
              + "\n");
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e); // in-memory tree
    }
  }

  /**
   * The entries of {@code map} whose tensors live in the vision store ({@code vision} true) or the
   * decoder's.
   */
  static WeightMap visionPart(WeightMap map, boolean vision) {
    List<WeightMap.Entry> out = new ArrayList<>();
    for (WeightMap.Entry e : map.entries()) {
      if (ParamNames.isVisionSide(e.blocks().get(0).canonical()) == vision) {
        out.add(e);
      }
    }
    return new WeightMap(out, vision ? List.of() : map.optional());
  }

  private static void checkCovered(Weights w, WeightMap map) {
    Set<String> known = new HashSet<>();
    for (WeightMap.Entry e : map.entries()) {
      e.blocks().forEach(b -> known.add(b.canonical()));
    }
    for (String n : w.names()) {
      if (!known.contains(n)) {
        throw new IllegalStateException(
            "tensor '" + n + "' has no place in the HoVLE checkpoint layout");
      }
    }
  }
}
