package org.mmmamba.core.text;

import java.math.BigDecimal;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON text exactly as Python's {@code json.dumps(x, ensure_ascii=False, indent=indent)} writes it,
 * which is what transformers' {@code tojson} filter in chat templates produces: {@code ", "} and
 * {@code ": "} separators without indent, keys in insertion order, non-ASCII kept, floats in
 * Python's {@code repr} form ({@code 1.0}, {@code 1e-05}, {@code 1.5e+16}, {@code NaN}, {@code
 * Infinity}).
 */
final class PythonJson {
  private PythonJson() {}

  /**
   * @param x null, Boolean, Number, CharSequence, Map, Collection or array
   * @param indent null for one line; else spaces per level (Python: newline + indent, {@code ","}
   *     and {@code ": "} separators)
   * @return the JSON text
   */
  static String dumps(Object x, Integer indent) {
    StringBuilder sb = new StringBuilder();
    write(sb, x, indent, 0);
    return sb.toString();
  }

  private static void write(StringBuilder sb, Object x, Integer indent, int level) {
    if (x == null) {
      sb.append("null");
    } else if (x instanceof Boolean b) {
      sb.append(b ? "true" : "false");
    } else if (x instanceof Double || x instanceof Float || x instanceof BigDecimal) {
      sb.append(pyFloat(((Number) x).doubleValue()));
    } else if (x instanceof Number n) {
      sb.append(n.toString());
    } else if (x instanceof CharSequence || x instanceof Character) {
      string(sb, x.toString());
    } else if (x instanceof Map<?, ?> m) {
      if (m.isEmpty()) {
        sb.append("{}");
        return;
      }
      sb.append('{');
      Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<?, ?> e = it.next();
        newline(sb, indent, level + 1);
        string(sb, String.valueOf(e.getKey()));
        sb.append(": ");
        write(sb, e.getValue(), indent, level + 1);
        if (it.hasNext()) {
          sb.append(indent == null ? ", " : ",");
        }
      }
      newline(sb, indent, level);
      sb.append('}');
    } else if (x instanceof Collection<?> || x instanceof Object[]) {
      Collection<?> c =
          x instanceof Collection<?> col ? col : java.util.Arrays.asList((Object[]) x);
      if (c.isEmpty()) {
        sb.append("[]");
        return;
      }
      sb.append('[');
      Iterator<?> it = c.iterator();
      while (it.hasNext()) {
        newline(sb, indent, level + 1);
        write(sb, it.next(), indent, level + 1);
        if (it.hasNext()) {
          sb.append(indent == null ? ", " : ",");
        }
      }
      newline(sb, indent, level);
      sb.append(']');
    } else {
      string(sb, x.toString());
    }
  }

  private static void newline(StringBuilder sb, Integer indent, int level) {
    if (indent != null) {
      sb.append('\n').append(" ".repeat(indent * level));
    }
  }

  private static void string(StringBuilder sb, String s) {
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

  /**
   * Python's {@code repr(float)}: the shortest round-trip digits, exponent form below 1e-4 and from
   * 1e16.
   */
  static String pyFloat(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == 0) {
      return (1 / d < 0) ? "-0.0" : "0.0";
    }
    BigDecimal bd = new BigDecimal(Double.toString(d)).stripTrailingZeros();
    String digits = bd.unscaledValue().abs().toString();
    int exp = digits.length() - 1 - bd.scale(); // decimal exponent of the first digit
    String sign = d < 0 ? "-" : "";
    if (exp < -4 || exp >= 16) {
      String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
      return sign
          + mant
          + "e"
          + (exp < 0 ? "-" : "+")
          + (Math.abs(exp) < 10 ? "0" : "")
          + Math.abs(exp);
    }
    String plain = bd.abs().toPlainString();
    return sign + (plain.contains(".") ? plain : plain + ".0");
  }
}
