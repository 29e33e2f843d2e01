package org.mmmamba.core.io;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mmmamba.core.BadInputException;

/**
 * The JSON header of a safetensors file: parsing with full validation, and encoding.
 *
 * <p>Layout of a file: 8-byte little-endian unsigned header length {@code N}, {@code N} bytes of
 * UTF-8 JSON (padded with spaces), then the data section. The JSON maps each tensor name to {@code
 * {"dtype", "shape", "data_offsets": [begin, end]}}, plus an optional {@code "__metadata__"} object
 * of string to string.
 */
final class SafetensorsHeader {
  /** Key of the optional string-to-string metadata object. */
  static final String METADATA_KEY = "__metadata__";

  /** Largest header we accept; the reference implementation uses the same 100 MB cap. */
  static final long MAX_HEADER_BYTES = 100_000_000L;

  // Duplicate keys would make "which entry wins" parser-dependent; trailing junk means a corrupt
  // file.
  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  final Map<String, String> metadata;
  final List<TensorInfo> tensors;

  private SafetensorsHeader(Map<String, String> metadata, List<TensorInfo> tensors) {
    this.metadata = metadata;
    this.tensors = tensors;
  }

  /**
   * Parses and validates a header.
   *
   * @param json the header bytes (without the length prefix)
   * @param dataSize size of the data section in bytes; every tensor must lie inside it
   * @param file used in error messages
   * @throws BadInputException on any problem, naming the file and, where one applies, the tensor
   */
  static SafetensorsHeader parse(byte[] json, long dataSize, String file) {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(json))
              .toString();
    } catch (CharacterCodingException e) {
      throw new BadInputException(file + ": header is not valid UTF-8");
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new BadInputException(
          file + ": header is not valid JSON: " + firstLine(e.getOriginalMessage()), e);
    }
    if (root == null || !root.isObject()) {
      throw new BadInputException(file + ": header is not a JSON object");
    }

    Map<String, String> metadata = new LinkedHashMap<>();
    List<TensorInfo> tensors = new ArrayList<>();
    for (Map.Entry<String, JsonNode> field : root.properties()) {
      String name = field.getKey();
      JsonNode node = field.getValue();
      if (name.equals(METADATA_KEY)) {
        parseMetadata(node, metadata, file);
      } else {
        tensors.add(parseTensor(name, node, dataSize, file));
      }
    }
    checkNoOverlap(tensors, file);
    return new SafetensorsHeader(
        Collections.unmodifiableMap(metadata), Collections.unmodifiableList(tensors));
  }

  private static void parseMetadata(JsonNode node, Map<String, String> out, String file) {
    if (!node.isObject()) {
      throw new BadInputException(file + ": " + METADATA_KEY + " is not a JSON object");
    }
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      if (!e.getValue().isTextual()) {
        throw new BadInputException(
            file + ": " + METADATA_KEY + " value of " + quote(e.getKey()) + " is not a string");
      }
      out.put(e.getKey(), e.getValue().textValue());
    }
  }

  private static TensorInfo parseTensor(String name, JsonNode node, long dataSize, String file) {
    String where = file + ": tensor " + quote(name);
    if (!node.isObject()) {
      throw new BadInputException(where + ": entry is not a JSON object");
    }
    // Unknown extra fields are ignored, as the reference implementation does.
    JsonNode dtypeNode = required(node, "dtype", where);
    if (!dtypeNode.isTextual()) {
      throw new BadInputException(where + ": dtype is not a string");
    }
    Dtype dtype = Dtype.parse(dtypeNode.textValue(), where);

    JsonNode shapeNode = required(node, "shape", where);
    if (!shapeNode.isArray()) {
      throw new BadInputException(where + ": shape is not an array");
    }
    long[] shape = new long[shapeNode.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = nonNegativeLong(shapeNode.get(i), where + ": shape[" + i + "]");
    }

    JsonNode offsets = required(node, "data_offsets", where);
    if (!offsets.isArray() || offsets.size() != 2) {
      throw new BadInputException(where + ": data_offsets is not an array of two integers");
    }
    long begin = nonNegativeLong(offsets.get(0), where + ": data_offsets[0]");
    long end = nonNegativeLong(offsets.get(1), where + ": data_offsets[1]");
    if (end < begin) {
      throw new BadInputException(
          where + ": data_offsets [" + begin + ", " + end + "] are inverted");
    }
    if (end > dataSize) {
      throw new BadInputException(
          where
              + ": data_offsets ["
              + begin
              + ", "
              + end
              + "] run past the data section ("
              + dataSize
              + " bytes; file truncated?)");
    }
    long bytes;
    try {
      bytes = Math.multiplyExact(TensorInfo.numel(shape), (long) dtype.bytes());
    } catch (ArithmeticException e) {
      throw new BadInputException(
          where + ": shape " + java.util.Arrays.toString(shape) + " overflows");
    }
    if (bytes != end - begin) {
      throw new BadInputException(
          where
              + ": shape "
              + java.util.Arrays.toString(shape)
              + " of "
              + dtype
              + " needs "
              + bytes
              + " bytes but data_offsets span "
              + (end - begin));
    }
    return new TensorInfo(name, dtype, shape, begin, end);
  }

  private static JsonNode required(JsonNode node, String field, String where) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      throw new BadInputException(where + ": missing '" + field + "'");
    }
    return v;
  }

  private static long nonNegativeLong(JsonNode n, String what) {
    if (n == null || !n.isIntegralNumber() || !n.canConvertToLong()) {
      throw new BadInputException(what + " is not an integer that fits in 64 bits");
    }
    long v = n.longValue();
    if (v < 0) {
      throw new BadInputException(what + " is negative (" + v + ")");
    }
    return v;
  }

  /** Ranges may have gaps (the format does not forbid them) but must not share a byte. */
  private static void checkNoOverlap(List<TensorInfo> tensors, String file) {
    List<TensorInfo> sorted = new ArrayList<>(tensors);
    sorted.removeIf(t -> t.byteLength() == 0); // empty tensors occupy no bytes
    sorted.sort(Comparator.comparingLong(TensorInfo::begin));
    for (int i = 1; i < sorted.size(); i++) {
      TensorInfo prev = sorted.get(i - 1);
      TensorInfo cur = sorted.get(i);
      if (cur.begin() < prev.end()) {
        throw new BadInputException(
            file + ": tensor " + quote(cur.name()) + " overlaps tensor " + quote(prev.name()));
      }
    }
  }

  /**
   * Encodes a header as compact JSON (metadata first if non-empty, then tensors in list order),
   * padded with spaces to a multiple of 8 bytes so the data section starts 8-aligned.
   */
  static byte[] encode(Map<String, String> metadata, List<TensorInfo> tensors) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      if (!metadata.isEmpty()) {
        g.writeObjectFieldStart(METADATA_KEY);
        for (Map.Entry<String, String> e : metadata.entrySet()) {
          g.writeStringField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
      }
      for (TensorInfo t : tensors) {
        g.writeObjectFieldStart(t.name());
        g.writeStringField("dtype", t.dtype().name());
        long[] shape = t.shape();
        g.writeArrayFieldStart("shape");
        for (long d : shape) {
          g.writeNumber(d);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("data_offsets");
        g.writeNumber(t.begin());
        g.writeNumber(t.end());
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen with an in-memory stream
    }
    while (out.size() % 8 != 0) {
      out.write(' ');
    }
    return out.toByteArray();
  }

  /**
   * Quotes a name from a file for an error message: control characters escaped so the message stays
   * on one line, and very long (hostile) names shortened.
   */
  static String quote(String name) {
    StringBuilder sb = new StringBuilder("'");
    int limit = Math.min(name.length(), 200);
    for (int i = 0; i < limit; i++) {
      char c = name.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    if (limit < name.length()) {
      sb.append("...");
    }
    return sb.append('\'').toString();
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
