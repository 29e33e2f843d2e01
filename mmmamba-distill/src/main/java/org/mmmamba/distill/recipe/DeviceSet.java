package org.mmmamba.distill.recipe;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code run.devices}: the devices of a data-parallel stage 3 (docs/scale-out.md), as YAML either a
 * list ({@code [gpu0, gpu1]}) or {@code all} (every GPU the engine sees). Names: {@code gpuN}, or
 * {@code cpuN} for the N-th replica on the CPU (libtorch has one CPU device; several {@code cpuN}
 * run several replicas there, which is how the CPU tests run the data-parallel path).
 *
 * @param names the names as written, lower case ({@code ["all"]} for all)
 */
public record DeviceSet(List<String> names) {
  /** Binds a YAML scalar or list; anything else is refused (one line, with the key). */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static DeviceSet of(JsonNode n) {
    List<String> out = new ArrayList<>();
    if (n.isTextual()) {
      out.add(n.asText().toLowerCase(Locale.ROOT));
    } else if (n.isArray()) {
      for (JsonNode e : n) {
        if (!e.isTextual()) {
          throw new IllegalArgumentException(
              "run.devices: expected device names like gpu0, got " + e);
        }
        out.add(e.asText().toLowerCase(Locale.ROOT));
      }
    } else {
      throw new IllegalArgumentException(
          "run.devices: expected a list like [gpu0, gpu1] or all, got " + n);
    }
    return new DeviceSet(List.copyOf(out));
  }

  /** As YAML: {@code all} or the list. */
  @JsonValue
  public Object json() {
    return isAll() ? "all" : names;
  }

  /** True for {@code all}. */
  public boolean isAll() {
    return names.size() == 1 && names.get(0).equals("all");
  }

  /**
   * What is wrong with the names, or null: empty, {@code all} with others, an unknown name, a
   * duplicate.
   */
  public String problem() {
    if (names.isEmpty()) {
      return "must list at least one device";
    }
    if (names.contains("all") && names.size() > 1) {
      return "'all' stands alone (all GPUs), not in a list";
    }
    if (isAll()) {
      return null;
    }
    Set<String> seen = new HashSet<>();
    for (String s : names) {
      if (!s.matches("(gpu|cpu)[0-9]+")) {
        return "unknown device '" + s + "' (gpuN, cpuN, or all)";
      }
      if (!seen.add(s)) {
        return "device '" + s + "' listed twice";
      }
    }
    if (names.stream().anyMatch(s -> s.startsWith("cpu"))
        && names.stream().anyMatch(s -> s.startsWith("gpu"))) {
      return "mixes CPU and GPU devices";
    }
    return null;
  }

  /**
   * The devices, resolved against {@code gpuCount} GPUs.
   *
   * @throws IllegalArgumentException naming the device the engine does not have
   */
  public List<ai.djl.Device> resolve(int gpuCount) {
    List<ai.djl.Device> out = new ArrayList<>();
    if (isAll()) {
      if (gpuCount == 0) {
        throw new IllegalArgumentException("'all' asks for every GPU but the engine sees none");
      }
      for (int i = 0; i < gpuCount; i++) {
        out.add(ai.djl.Device.gpu(i));
      }
      return out;
    }
    for (String s : names) {
      int i = Integer.parseInt(s.substring(3));
      if (s.startsWith("cpu")) {
        out.add(ai.djl.Device.cpu());
      } else if (i >= gpuCount) {
        throw new IllegalArgumentException(
            "'" + s + "' but the engine sees " + gpuCount + " GPU" + (gpuCount == 1 ? "" : "s"));
      } else {
        out.add(ai.djl.Device.gpu(i));
      }
    }
    return out;
  }
}
