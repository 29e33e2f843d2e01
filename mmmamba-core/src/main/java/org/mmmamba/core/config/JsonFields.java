package org.mmmamba.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mmmamba.core.BadInputException;

/**
 * Typed, error-reporting access to a JSON object read from a file (HF {@code config.json} and
 * friends).
 *
 * <p>Handles the quirks real files have: transformers 5 writes non-finite floats as {@code
 * {"__float__": "Infinity"}}; ids may be an int or a list; optional keys may be {@code null}.
 */
public final class JsonFields {
  static final ObjectMapper MAPPER = new ObjectMapper();
  private final JsonNode node;
  private final String where;

  /** Wraps an object node; {@code where} names it in errors (file, or file + key path). */
  public JsonFields(JsonNode node, String where) {
    if (node == null || !node.isObject()) {
      throw new BadInputException(where + ": expected a JSON object");
    }
    this.node = node;
    this.where = where;
  }

  /** Reads and parses a JSON object file. */
  public static JsonFields read(Path file) {
    try {
      return new JsonFields(MAPPER.readTree(Files.readAllBytes(file)), file.toString());
    } catch (NoSuchFileException e) {
      throw new BadInputException(file + ": file not found");
    } catch (IOException e) {
      throw new BadInputException(file + ": not valid JSON (" + firstLine(e.getMessage()) + ")");
    }
  }

  static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int i = s.indexOf('\n');
    return i < 0 ? s : s.substring(0, i);
  }

  /** The underlying node. */
  public JsonNode node() {
    return node;
  }

  /** Where this object came from. */
  public String where() {
    return where;
  }

  /** True if the key is present and not null. */
  public boolean has(String key) {
    JsonNode n = node.get(key);
    return n != null && !n.isNull();
  }

  /** A nested object, or null when absent/null. */
  public JsonFields objectOrNull(String key) {
    if (!has(key)) {
      return null;
    }
    return new JsonFields(node.get(key), where + ": " + key);
  }

  /** A required int. */
  public int requireInt(String key) {
    if (!has(key)) {
      throw new BadInputException(where + ": missing key '" + key + "'");
    }
    return asInt(key, node.get(key));
  }

  /** An optional int. */
  public int optInt(String key, int dflt) {
    return has(key) ? asInt(key, node.get(key)) : dflt;
  }

  /** An optional Integer (null when absent). */
  public Integer optInteger(String key) {
    return has(key) ? asInt(key, node.get(key)) : null;
  }

  private int asInt(String key, JsonNode n) {
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw new BadInputException(where + ": key '" + key + "' must be an integer, got " + n);
    }
    return n.intValue();
  }

  /** An optional double; accepts {"__float__": "Infinity"} style values. */
  public double optDouble(String key, double dflt) {
    return has(key) ? asDouble(key, node.get(key)) : dflt;
  }

  /** Parses a number or a transformers-5 encoded special float. */
  double asDouble(String key, JsonNode n) {
    if (n.isNumber()) {
      return n.doubleValue();
    }
    if (n.isObject() && n.has("__float__")) {
      String s = n.get("__float__").asText();
      switch (s) {
        case "Infinity":
        case "inf":
          return Double.POSITIVE_INFINITY;
        case "-Infinity":
        case "-inf":
          return Double.NEGATIVE_INFINITY;
        case "NaN":
        case "nan":
          return Double.NaN;
        default:
          break;
      }
    }
    if (n.isTextual()) {
      try {
        return Double.parseDouble(n.asText());
      } catch (NumberFormatException e) {
        // fall through to the error
      }
    }
    throw new BadInputException(where + ": key '" + key + "' must be a number, got " + n);
  }

  /** A list of doubles (e.g. time_step_limit), or null when absent. */
  public double[] optDoubles(String key) {
    if (!has(key)) {
      return null;
    }
    JsonNode n = node.get(key);
    if (!n.isArray()) {
      throw new BadInputException(where + ": key '" + key + "' must be a list, got " + n);
    }
    double[] out = new double[n.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = asDouble(key, n.get(i));
    }
    return out;
  }

  /** An optional boolean. */
  public boolean optBool(String key, boolean dflt) {
    if (!has(key)) {
      return dflt;
    }
    JsonNode n = node.get(key);
    if (!n.isBoolean()) {
      throw new BadInputException(where + ": key '" + key + "' must be true or false, got " + n);
    }
    return n.booleanValue();
  }

  /** An optional string. */
  public String optString(String key, String dflt) {
    if (!has(key)) {
      return dflt;
    }
    JsonNode n = node.get(key);
    if (!n.isTextual()) {
      throw new BadInputException(where + ": key '" + key + "' must be a string, got " + n);
    }
    return n.textValue();
  }

  /** An int or list of ints (HF {@code eos_token_id}); empty when absent. */
  public List<Integer> optIntList(String key) {
    List<Integer> out = new ArrayList<>();
    if (!has(key)) {
      return out;
    }
    JsonNode n = node.get(key);
    if (n.isArray()) {
      for (JsonNode e : n) {
        out.add(asInt(key, e));
      }
    } else {
      out.add(asInt(key, n));
    }
    return out;
  }

  /** A list of strings, or null when absent. */
  public List<String> optStrings(String key) {
    if (!has(key)) {
      return null;
    }
    JsonNode n = node.get(key);
    if (!n.isArray()) {
      throw new BadInputException(where + ": key '" + key + "' must be a list of strings");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : n) {
      if (!e.isTextual()) {
        throw new BadInputException(
            where + ": key '" + key + "' must be a list of strings, got " + e);
      }
      out.add(e.textValue());
    }
    return out;
  }
}
