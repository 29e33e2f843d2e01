package org.mmmamba.app.bench;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mmmamba.core.BadInputException;

/**
 * Strict YAML binding for config records: snake_case keys, every key required, unknown keys, nulls, floats for
 * integers and quoted numbers rejected. Every failure becomes one {@link BadInputException} line naming the
 * file, the key path (e.g. {@code decode.contexts[2]}) and the line.
 */
final class StrictYaml {
  private static final Pattern MISSING = Pattern.compile("Missing (?:required )?creator property '([^']+)'");

  private StrictYaml() {}

  /** A mapper with the strict settings (also used to write the records back as JSON/YAML). */
  static ObjectMapper yamlMapper() {
    ObjectMapper om = YAMLMapper.builder().disable(MapperFeature.ALLOW_COERCION_OF_SCALARS).build();
    strict(om);
    return om;
  }

  /** A JSON mapper with the same naming and strictness (worker hand-over files). */
  static ObjectMapper jsonMapper() {
    ObjectMapper om = JsonMapper.builder().disable(MapperFeature.ALLOW_COERCION_OF_SCALARS).build();
    strict(om);
    return om;
  }

  private static void strict(ObjectMapper om) {
    om.setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    om.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    om.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    om.enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);
    om.enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES);
    om.disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
    for (LogicalType t : new LogicalType[] {LogicalType.Integer, LogicalType.Float, LogicalType.Boolean}) {
      om.coercionConfigFor(t).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
    }
  }

  /** Binds {@code text} (the contents of {@code where}) to {@code type}. */
  static <T> T read(String text, String where, Class<T> type) {
    try {
      T v = yamlMapper().readValue(text, type);
      if (v == null) {
        throw new BadInputException(where + ": empty config");
      }
      return v;
    } catch (UnrecognizedPropertyException e) {
      String key = join(path(e), e.getPropertyName());
      throw new BadInputException(where + ": unknown key '" + key + "'" + line(e.getLocation())
          + " (known keys here: " + String.join(", ", known(e)) + ")", e);
    } catch (JsonMappingException e) {
      Matcher m = MISSING.matcher(e.getOriginalMessage());
      if (m.find()) {
        throw new BadInputException(where + ": missing key '" + join(path(e), m.group(1)) + "'"
            + line(e.getLocation()), e);
      }
      String key = path(e);
      throw new BadInputException(where + ": bad value for key '" + (key.isEmpty() ? "(top level)" : key) + "'"
          + line(e.getLocation()) + ": " + firstLine(e.getOriginalMessage()), e);
    } catch (JsonProcessingException e) {
      throw new BadInputException(where + ": not valid YAML" + line(e.getLocation()) + ": "
          + firstLine(e.getOriginalMessage()), e);
    }
  }

  /** The dotted key path, with [i] for list elements. */
  private static String path(JsonMappingException e) {
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

  private static String line(JsonLocation loc) {
    return loc == null || loc.getLineNr() <= 0 ? "" : " at line " + loc.getLineNr();
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
