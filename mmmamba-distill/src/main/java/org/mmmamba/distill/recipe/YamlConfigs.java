package org.mmmamba.distill.recipe;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mmmamba.core.BadInputException;

/**
 * The one strict YAML binder of the project: every YAML it reads (runs, teacher training,
 * ablations, bench) is bound here to immutable records, and every failure is one {@link
 * BadInputException} line naming file, key and line.
 *
 * <p>Configs with bundled defaults (runs, teachers, ablations: {@link #load}): the user's file is
 * bound strictly on its own (an unknown key or a wrong type fails with the file and line); then it
 * is deep-merged over the bundled defaults, {@code --set key.path=value} overrides are applied
 * (each must name an existing key), and the result is bound again. {@link Located} keeps the line
 * of every key so that {@code validate()} can name file, line and key for impossible values too.
 *
 * <p>Configs without defaults (bench: {@link #bindComplete}) must spell out every key.
 */
public final class YamlConfigs {
  static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

  private YamlConfigs() {}

  /** A bound config with the source positions of its keys. */
  public record Located<T>(T value, String source, Map<String, Integer> lines) {
    /** "file:line: key" for error messages (line omitted when the key came from defaults). */
    public String where(String keyPath) {
      Integer line = lines.get(keyPath);
      return source + (line == null ? "" : ":" + line) + ": " + keyPath;
    }
  }

  /**
   * Loads {@code file} over the defaults in classpath resource {@code defaultsResource}, applies
   * overrides ("a.b.c=value", YAML scalars), binds to {@code type}.
   */
  public static <T> Located<T> load(
      Path file, Class<T> type, String defaultsResource, List<String> overrides) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new BadInputException(file + ": config file not found");
    } catch (IOException e) {
      throw new BadInputException(file + ": cannot read (" + e.getMessage() + ")");
    }
    return loadText(text, file.toString(), type, defaultsResource, overrides);
  }

  /** Same, from text ({@code source} names it in errors). */
  public static <T> Located<T> loadText(
      String text, String source, Class<T> type, String defaultsResource, List<String> overrides) {
    JsonNode user;
    try {
      user = YAML.readTree(text);
    } catch (JsonProcessingException e) {
      throw new BadInputException(
          source
              + ":"
              + line(e.getLocation())
              + ": malformed YAML ("
              + firstLine(e.getOriginalMessage())
              + ")");
    }
    if (user == null || user.isMissingNode() || user.isNull()) {
      user = YAML.createObjectNode();
    }
    if (!user.isObject()) {
      throw new BadInputException(source + ": the top level must be a mapping of keys");
    }
    // Strict pass on the user's text alone: unknown keys and wrong types with their line.
    bindStrict(text, source, type);
    ObjectNode defaults = defaults(defaultsResource);
    ObjectNode merged = defaults.deepCopy();
    merge(merged, (ObjectNode) user);
    for (String o : overrides) {
      applyOverride(merged, o);
    }
    requireMappings(defaults, merged, "", source, lines(text));
    T value;
    try {
      value = YAML.treeToValue(merged, type);
    } catch (JsonProcessingException e) {
      throw new BadInputException(source + " (after defaults and --set): " + describe(e));
    }
    return new Located<>(value, source, lines(text));
  }

  private static <T> void bindStrict(String text, String source, Class<T> type) {
    if (text.isBlank()) {
      return;
    }
    try {
      YAML.readValue(text, type);
    } catch (UnrecognizedPropertyException e) {
      // The parser's location is past the key; the key index knows the key's own line.
      throw new BadInputException(
          source
              + ":"
              + keyLine(text, path(e), e.getLocation())
              + ": unknown key '"
              + path(e)
              + "'"
              + " (known here: "
              + e.getKnownPropertyIds()
              + ")");
    } catch (MismatchedInputException e) {
      throw new BadInputException(
          source
              + ":"
              + keyLine(text, path(e), e.getLocation())
              + ": key '"
              + path(e)
              + "': "
              + firstLine(e.getOriginalMessage()));
    } catch (JsonProcessingException e) {
      throw new BadInputException(
          source + ":" + line(e.getLocation()) + ": " + firstLine(e.getOriginalMessage()));
    }
  }

  static ObjectNode defaults(String resource) {
    try (InputStream in = YamlConfigs.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing bundled defaults " + resource);
      }
      return (ObjectNode) YAML.readTree(in);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read bundled defaults " + resource, e);
    }
  }

  /**
   * Every key whose default is a mapping must still be one (a section left empty in YAML,
   * "teacher:", is null; records would then hold a null section). Lists of mappings must hold
   * mappings.
   */
  static void requireMappings(
      JsonNode defaults,
      JsonNode merged,
      String prefix,
      String source,
      Map<String, Integer> lines) {
    Iterator<Map.Entry<String, JsonNode>> it = defaults.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      JsonNode m = merged.get(e.getKey());
      Integer line = lines.get(key);
      String where = source + (line == null ? "" : ":" + line) + ": key '" + key + "'";
      if (e.getValue().isObject()) {
        if (m == null || !m.isObject()) {
          throw new BadInputException(
              where
                  + " must be a mapping, got "
                  + (m == null
                      ? "nothing"
                      : m.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
        }
        requireMappings(e.getValue(), m, key, source, lines);
      } else if (e.getValue().isArray()
          && e.getValue().size() > 0
          && e.getValue().get(0).isObject()
          && m != null
          && m.isArray()) {
        for (int i = 0; i < m.size(); i++) {
          if (!m.get(i).isObject()) {
            throw new BadInputException(
                where
                    + "["
                    + i
                    + "] must be a mapping, got "
                    + m.get(i).getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
          }
        }
      }
    }
  }

  /** Deep merge: mappings merge key by key, everything else (lists, scalars) replaces. */
  static void merge(ObjectNode base, ObjectNode over) {
    Iterator<Map.Entry<String, JsonNode>> it = over.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode cur = base.get(e.getKey());
      if (cur != null && cur.isObject() && e.getValue().isObject()) {
        merge((ObjectNode) cur, (ObjectNode) e.getValue());
      } else {
        base.set(e.getKey(), e.getValue());
      }
    }
  }

  /** Applies "a.b.c=value"; the path must exist in the merged config (so typos fail). */
  static void applyOverride(ObjectNode root, String override) {
    int eq = override.indexOf('=');
    if (eq <= 0) {
      throw new BadInputException("--set " + override + ": expected key.path=value");
    }
    String path = override.substring(0, eq).trim();
    String raw = override.substring(eq + 1);
    String[] parts = path.split("\\.");
    ObjectNode node = root;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonNode next = node.get(parts[i]);
      if (next == null || !next.isObject()) {
        throw new BadInputException(
            "--set "
                + path
                + ": no such key '"
                + String.join(".", java.util.Arrays.copyOf(parts, i + 1))
                + "'");
      }
      node = (ObjectNode) next;
    }
    String leaf = parts[parts.length - 1];
    if (!node.has(leaf)) {
      throw new BadInputException(
          "--set "
              + path
              + ": no such key '"
              + leaf
              + "' (known: "
              + iterable(node.fieldNames())
              + ")");
    }
    JsonNode value;
    try {
      value = YAML.readTree(raw.isEmpty() ? "''" : raw);
    } catch (JsonProcessingException e) {
      throw new BadInputException("--set " + path + ": value '" + raw + "' is not valid YAML");
    }
    node.set(leaf, value == null ? YAML.nullNode() : value);
  }

  private static String iterable(Iterator<String> it) {
    StringBuilder sb = new StringBuilder();
    it.forEachRemaining(s -> sb.append(sb.length() == 0 ? "" : ", ").append(s));
    return sb.toString();
  }

  /** Line (1-based) of every key path ("a.b.c"; list items as "a.b[2]") in the YAML text. */
  static Map<String, Integer> lines(String text) {
    Map<String, Integer> out = new HashMap<>();
    try (JsonParser p = YAML.getFactory().createParser(text)) {
      Deque<String> stack = new ArrayDeque<>();
      Deque<Integer> listIndex = new ArrayDeque<>();
      String pendingField = null;
      JsonToken t;
      while ((t = p.nextToken()) != null) {
        switch (t) {
          case FIELD_NAME:
            pendingField = p.currentName();
            // The document's own mapping is on the stack as "": its keys have no prefix.
            String prefix = stack.isEmpty() || stack.peek().isEmpty() ? "" : stack.peek() + ".";
            out.putIfAbsent(prefix + pendingField, p.currentLocation().getLineNr());
            break;
          case START_OBJECT:
          case START_ARRAY:
            String base = stack.isEmpty() ? "" : stack.peek();
            String name =
                pendingField != null
                    ? (base.isEmpty() ? pendingField : base + "." + pendingField)
                    : (!listIndex.isEmpty() && listIndex.peek() >= 0
                        ? base + "[" + bump(listIndex) + "]"
                        : base);
            out.putIfAbsent(
                name, p.currentLocation().getLineNr()); // list items that are mappings or lists
            stack.push(name);
            listIndex.push(t == JsonToken.START_ARRAY ? 0 : -1);
            pendingField = null;
            break;
          case END_OBJECT:
          case END_ARRAY:
            stack.pop();
            listIndex.pop();
            break;
          default:
            if (pendingField == null && !listIndex.isEmpty() && listIndex.peek() >= 0) {
              out.putIfAbsent(
                  stack.peek() + "[" + bump(listIndex) + "]", p.currentLocation().getLineNr());
            }
            pendingField = null;
        }
      }
    } catch (IOException e) {
      // Positions are a convenience; the strict pass already reported malformed YAML.
    }
    return out;
  }

  private static int bump(Deque<Integer> listIndex) {
    int i = listIndex.pop();
    listIndex.push(i + 1);
    return i;
  }

  private static String path(com.fasterxml.jackson.databind.JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (com.fasterxml.jackson.databind.JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        sb.append(sb.length() == 0 ? "" : ".").append(r.getFieldName());
      } else {
        sb.append('[').append(r.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  private static String describe(JsonProcessingException e) {
    if (e instanceof com.fasterxml.jackson.databind.JsonMappingException) {
      return "key '"
          + path((com.fasterxml.jackson.databind.JsonMappingException) e)
          + "': "
          + firstLine(e.getOriginalMessage());
    }
    return firstLine(e.getOriginalMessage());
  }

  private static int keyLine(String text, String keyPath, JsonLocation fallback) {
    Integer l = lines(text).get(keyPath);
    return l != null ? l : line(fallback);
  }

  private static int line(JsonLocation loc) {
    return loc == null ? 0 : loc.getLineNr();
  }

  static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int i = s.indexOf('\n');
    return i < 0 ? s : s.substring(0, i);
  }

  // ---------------------------------------------------------------------- configs without defaults
  // (bench)

  private static final Pattern MISSING =
      Pattern.compile("Missing (?:required )?creator property '([^']+)'");

  /**
   * A mapper with the all-keys-required settings (also used to write such records back as YAML).
   */
  public static ObjectMapper completeYamlMapper() {
    ObjectMapper om = YAMLMapper.builder().disable(MapperFeature.ALLOW_COERCION_OF_SCALARS).build();
    complete(om);
    return om;
  }

  /** A JSON mapper with the same naming and strictness (hand-over files between processes). */
  public static ObjectMapper completeJsonMapper() {
    ObjectMapper om = JsonMapper.builder().disable(MapperFeature.ALLOW_COERCION_OF_SCALARS).build();
    complete(om);
    return om;
  }

  private static void complete(ObjectMapper om) {
    om.setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    om.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    om.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    om.enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);
    om.enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES);
    om.disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
    for (LogicalType t :
        new LogicalType[] {LogicalType.Integer, LogicalType.Float, LogicalType.Boolean}) {
      om.coercionConfigFor(t).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
    }
  }

  /**
   * Binds a config that has no defaults file (bench configs): every key required, unknown keys,
   * nulls, floats for integers and quoted numbers rejected; each failure is one line naming {@code
   * where}, the key path (e.g. {@code decode.contexts[2]}) and the line.
   */
  public static <T> T bindComplete(String text, String where, Class<T> type) {
    try {
      T v = completeYamlMapper().readValue(text, type);
      if (v == null) {
        throw new BadInputException(where + ": empty config");
      }
      return v;
    } catch (UnrecognizedPropertyException e) {
      String key = join(completePath(e), e.getPropertyName());
      throw new BadInputException(
          where
              + ": unknown key '"
              + key
              + "'"
              + atLine(e.getLocation())
              + " (known keys here: "
              + String.join(", ", known(e))
              + ")",
          e);
    } catch (JsonMappingException e) {
      Matcher m = MISSING.matcher(e.getOriginalMessage());
      if (m.find()) {
        throw new BadInputException(
            where
                + ": missing key '"
                + join(completePath(e), m.group(1))
                + "'"
                + atLine(e.getLocation()),
            e);
      }
      String key = completePath(e);
      throw new BadInputException(
          where
              + ": bad value for key '"
              + (key.isEmpty() ? "(top level)" : key)
              + "'"
              + atLine(e.getLocation())
              + ": "
              + firstLine(e.getOriginalMessage()),
          e);
    } catch (JsonProcessingException e) {
      throw new BadInputException(
          where
              + ": not valid YAML"
              + atLine(e.getLocation())
              + ": "
              + firstLine(e.getOriginalMessage()),
          e);
    }
  }

  /** The dotted key path, with [i] for list elements. */
  private static String completePath(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        sb.append('[').append(r.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  private static String join(String parent, String name) {
    if (parent.endsWith("." + name) || parent.equals(name)) {
      return parent;
    }
    return parent.isEmpty() ? name : parent + "." + name;
  }

  private static java.util.List<String> known(UnrecognizedPropertyException e) {
    java.util.List<String> out = new java.util.ArrayList<>();
    if (e.getKnownPropertyIds() != null) {
      for (Object o : e.getKnownPropertyIds()) {
        out.add(String.valueOf(o));
      }
    }
    java.util.Collections.sort(out);
    return out;
  }

  private static String atLine(JsonLocation loc) {
    return loc == null || loc.getLineNr() <= 0 ? "" : " at line " + loc.getLineNr();
  }
}
