package org.mmmamba.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Reads and writes .ipynb files (nbformat 4 JSON) the way Jupyter writes them: one-space
 * indentation, sorted keys, every array element on its own line, non-ASCII kept, a final newline.
 * So a notebook whose outputs were written here diffs cleanly against one saved by Jupyter.
 */
final class NotebookJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private NotebookJson() {}

  /** Parses a notebook file. */
  static JsonNode read(Path file) throws IOException {
    return JSON.readTree(file.toFile());
  }

  /** Writes the notebook in Jupyter's layout. */
  static void write(JsonNode nb, Path file) throws IOException {
    StringBuilder sb = new StringBuilder();
    write(nb, sb, 0);
    sb.append('\n');
    Files.writeString(file, sb.toString());
  }

  /** A cell's source as one string (it is a string or a list of lines). */
  static String text(JsonNode source) {
    if (source == null || source.isNull()) {
      return "";
    }
    if (source.isTextual()) {
      return source.asText();
    }
    StringBuilder sb = new StringBuilder();
    source.forEach(l -> sb.append(l.asText()));
    return sb.toString();
  }

  /** Text split as Jupyter stores it: a list of lines, each but the last ending in '\n'. */
  static ArrayNode lines(String text) {
    ArrayNode a = JsonNodeFactory.instance.arrayNode();
    int from = 0;
    while (from < text.length()) {
      int nl = text.indexOf('\n', from);
      int end = nl < 0 ? text.length() : nl + 1;
      a.add(text.substring(from, end));
      from = end;
    }
    return a;
  }

  private static void write(JsonNode n, StringBuilder sb, int indent) {
    if (n.isObject()) {
      if (n.isEmpty()) {
        sb.append("{}");
        return;
      }
      List<String> keys = new ArrayList<>();
      n.fieldNames().forEachRemaining(keys::add);
      keys.sort(null);
      sb.append("{\n");
      for (int i = 0; i < keys.size(); i++) {
        pad(sb, indent + 1);
        string(keys.get(i), sb);
        sb.append(": ");
        write(n.get(keys.get(i)), sb, indent + 1);
        sb.append(i + 1 < keys.size() ? ",\n" : "\n");
      }
      pad(sb, indent);
      sb.append('}');
    } else if (n.isArray()) {
      if (n.isEmpty()) {
        sb.append("[]");
        return;
      }
      sb.append("[\n");
      Iterator<JsonNode> it = n.elements();
      while (it.hasNext()) {
        pad(sb, indent + 1);
        write(it.next(), sb, indent + 1);
        sb.append(it.hasNext() ? ",\n" : "\n");
      }
      pad(sb, indent);
      sb.append(']');
    } else if (n.isTextual()) {
      string(n.asText(), sb);
    } else {
      sb.append(n.toString());
    }
  }

  private static void pad(StringBuilder sb, int indent) {
    sb.append(" ".repeat(indent));
  }

  /** A JSON string literal as Python's json module writes it with ensure_ascii=False. */
  private static void string(String s, StringBuilder sb) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
