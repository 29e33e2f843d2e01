package org.mmmamba.core.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.mmmamba.core.BadInputException;

/**
 * Which decoder layers of a student stay softmax attention; every other layer becomes a Mamba-2
 * mixer (docs/method.md §4). The linear student is the layout with no attention layer.
 *
 * <p>Named strategies for n layers and k attention layers (docs/method.md §4, PAPER Table 6). The
 * layers are cut into k consecutive groups; group i is [floor(i*n/k), floor((i+1)*n/k)). When k
 * divides n the groups are equal; otherwise group sizes differ by at most one (the fair spread),
 * and every group is non-empty when k &lt;= n, so the k indices are distinct.
 *
 * <ul>
 *   <li>{@link Strategy#HEAD_INTERLEAVED}: the first layer of each group, floor(i*n/k). n=32, k=8:
 *       [0,4,...,28] (the released mmMamba-hybrid).
 *   <li>{@link Strategy#TAIL_INTERLEAVED}: the last layer of each group, floor((i+1)*n/k)-1. n=32,
 *       k=8: [3,7,...,31].
 *   <li>{@link Strategy#HEAD_STACKED}: [0, k).
 *   <li>{@link Strategy#TAIL_STACKED}: [n-k, n).
 *   <li>{@link Strategy#LINEAR}: none (same as any strategy with k = 0).
 *   <li>{@link Strategy#EXPLICIT}: the given indices, checked against n when applied.
 * </ul>
 *
 * <p>Text form (CLI and YAML), case-insensitive, '-' or '_' alike: {@code linear}, {@code
 * head-interleaved:8}, {@code tail-interleaved:8}, {@code head-stacked:8}, {@code tail-stacked:4},
 * {@code explicit:0,4,8} or {@code [0,4,8]}. {@link #toString()} gives the canonical text back.
 *
 * @param strategy how the indices are chosen
 * @param count k, the number of attention layers (for EXPLICIT: the number of indices; LINEAR: 0)
 * @param indices the explicit indices, sorted ascending (empty unless EXPLICIT)
 */
public record HybridLayout(Strategy strategy, int count, List<Integer> indices) {

  /** How attention layers are placed. */
  public enum Strategy {
    /** No attention layer. */
    LINEAR,
    /** First layer of each of k groups. */
    HEAD_INTERLEAVED,
    /** Last layer of each of k groups. */
    TAIL_INTERLEAVED,
    /** The first k layers. */
    HEAD_STACKED,
    /** The last k layers. */
    TAIL_STACKED,
    /** A given index list. */
    EXPLICIT;

    /** The text spelling, e.g. "head-interleaved". */
    public String spelling() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /**
   * Checks the fields (count &gt;= 0, explicit indices distinct and &gt;= 0), sorts the explicit
   * indices, and normalises every layout with no attention layer to {@link Strategy#LINEAR}.
   */
  public HybridLayout {
    if (strategy == null) {
      throw new BadInputException("layout: strategy is missing");
    }
    indices = indices == null ? List.of() : List.copyOf(indices);
    if (strategy == Strategy.EXPLICIT) {
      TreeSet<Integer> seen = new TreeSet<>();
      for (int i : indices) {
        if (i < 0) {
          throw new BadInputException(
              "layout '" + text(strategy, count, indices) + "': layer index " + i + " is negative");
        }
        if (!seen.add(i)) {
          throw new BadInputException(
              "layout '"
                  + text(strategy, count, indices)
                  + "': layer index "
                  + i
                  + " is listed twice");
        }
      }
      indices = List.copyOf(seen);
      count = indices.size();
      if (count == 0) {
        strategy = Strategy.LINEAR;
      }
    } else {
      if (!indices.isEmpty()) {
        throw new BadInputException(
            "layout '" + strategy.spelling() + "': only explicit layouts take indices");
      }
      if (count < 0) {
        throw new BadInputException(
            "layout '"
                + text(strategy, count, indices)
                + "': the number of attention layers must be >= 0, got "
                + count);
      }
      if (strategy == Strategy.LINEAR && count != 0) {
        throw new BadInputException(
            "layout 'linear' has no attention layers, got a count of " + count);
      }
      if (count == 0) {
        strategy = Strategy.LINEAR;
      }
    }
  }

  /** The all-Mamba (linear) layout. */
  public static HybridLayout linear() {
    return new HybridLayout(Strategy.LINEAR, 0, List.of());
  }

  /** A named strategy with k attention layers. */
  public static HybridLayout of(Strategy strategy, int k) {
    if (strategy == Strategy.EXPLICIT) {
      throw new IllegalArgumentException("use explicit(indices) for explicit layouts");
    }
    return new HybridLayout(strategy, k, List.of());
  }

  /** Exactly these layers stay attention. */
  public static HybridLayout explicit(List<Integer> indices) {
    return new HybridLayout(Strategy.EXPLICIT, indices.size(), indices);
  }

  /**
   * Parses the text form ("linear", "head-interleaved:8", "explicit:0,4,8", "[0,4,8]", ...). Errors
   * name the text.
   */
  public static HybridLayout parse(String text) {
    if (text == null || text.isBlank()) {
      throw new BadInputException(
          "layout '': empty (expected linear, head-interleaved:K, tail-interleaved:K, "
              + "head-stacked:K, tail-stacked:K, explicit:I,J,... or [I,J,...])");
    }
    String s = text.strip();
    if (s.startsWith("[")) {
      if (!s.endsWith("]")) {
        throw new BadInputException("layout '" + text + "': missing closing ']'");
      }
      return explicit(indexList(text, s.substring(1, s.length() - 1)));
    }
    int colon = s.indexOf(':');
    String name =
        (colon < 0 ? s : s.substring(0, colon)).strip().toLowerCase(Locale.ROOT).replace('_', '-');
    String arg = colon < 0 ? null : s.substring(colon + 1).strip();
    Strategy st = null;
    for (Strategy c : Strategy.values()) {
      if (c.spelling().equals(name)) {
        st = c;
      }
    }
    if (st == null) {
      throw new BadInputException(
          "layout '"
              + text
              + "': unknown strategy '"
              + name
              + "' (expected linear, "
              + "head-interleaved, tail-interleaved, head-stacked, tail-stacked or explicit)");
    }
    switch (st) {
      case LINEAR:
        if (arg != null && !arg.isEmpty() && !arg.equals("0")) {
          throw new BadInputException("layout '" + text + "': linear takes no count");
        }
        return linear();
      case EXPLICIT:
        return explicit(indexList(text, arg == null ? "" : arg));
      default:
        if (arg == null || arg.isEmpty()) {
          throw new BadInputException(
              "layout '"
                  + text
                  + "': missing the number of attention layers (e.g. "
                  + st.spelling()
                  + ":8)");
        }
        int k;
        try {
          k = Integer.parseInt(arg);
        } catch (NumberFormatException e) {
          throw new BadInputException(
              "layout '" + text + "': '" + arg + "' is not a number of layers");
        }
        if (k < 0) {
          throw new BadInputException(
              "layout '" + text + "': the number of attention layers must be >= 0, got " + k);
        }
        return of(st, k);
    }
  }

  private static List<Integer> indexList(String text, String body) {
    List<Integer> out = new ArrayList<>();
    if (body.isBlank()) {
      return out;
    }
    for (String part : body.split(",")) {
      String p = part.strip();
      try {
        out.add(Integer.parseInt(p));
      } catch (NumberFormatException e) {
        throw new BadInputException("layout '" + text + "': '" + p + "' is not a layer index");
      }
    }
    TreeSet<Integer> seen = new TreeSet<>();
    for (int i : out) {
      if (i < 0) {
        throw new BadInputException("layout '" + text + "': layer index " + i + " is negative");
      }
      if (!seen.add(i)) {
        throw new BadInputException("layout '" + text + "': layer index " + i + " is listed twice");
      }
    }
    return out;
  }

  /** True when no layer stays attention (for any layer count). */
  public boolean isLinear() {
    return count == 0;
  }

  /**
   * The attention layer indices for a model of {@code numLayers} layers, ascending.
   *
   * @throws BadInputException naming the layout if k &gt; n or an explicit index is out of range
   */
  public List<Integer> attentionLayers(int numLayers) {
    if (numLayers <= 0) {
      throw new BadInputException(
          "layout '" + this + "': the model must have at least one layer, got " + numLayers);
    }
    int n = numLayers;
    int k = count;
    if (k > n) {
      throw new BadInputException(
          "layout '"
              + this
              + "': "
              + k
              + " attention layers requested but the model has "
              + "only "
              + n
              + " layers");
    }
    List<Integer> out = new ArrayList<>(k);
    switch (strategy) {
      case LINEAR:
        break;
      case HEAD_INTERLEAVED:
        for (int i = 0; i < k; i++) {
          out.add(groupStart(i, n, k));
        }
        break;
      case TAIL_INTERLEAVED:
        for (int i = 0; i < k; i++) {
          out.add(groupStart(i + 1, n, k) - 1);
        }
        break;
      case HEAD_STACKED:
        for (int i = 0; i < k; i++) {
          out.add(i);
        }
        break;
      case TAIL_STACKED:
        for (int i = n - k; i < n; i++) {
          out.add(i);
        }
        break;
      case EXPLICIT:
        for (int i : indices) {
          if (i >= n) {
            throw new BadInputException(
                "layout '"
                    + this
                    + "': layer index "
                    + i
                    + " is out of range for a model "
                    + "of "
                    + n
                    + " layers (0.."
                    + (n - 1)
                    + ")");
          }
          out.add(i);
        }
        break;
      default:
        throw new IllegalStateException(strategy.toString());
    }
    return Collections.unmodifiableList(out);
  }

  /**
   * Per-layer kinds for a model of {@code numLayers} layers: ATTENTION where kept, MAMBA2
   * elsewhere.
   */
  public List<LayerKind> kinds(int numLayers) {
    List<LayerKind> out = new ArrayList<>(Collections.nCopies(numLayers, LayerKind.MAMBA2));
    for (int i : attentionLayers(numLayers)) {
      out.set(i, LayerKind.ATTENTION);
    }
    return Collections.unmodifiableList(out);
  }

  /** floor(i*n/k) in long arithmetic: the first layer of group i (i = k gives n). */
  private static int groupStart(int i, int n, int k) {
    return (int) ((long) i * n / k);
  }

  /** The canonical text form, which {@link #parse} reads back to an equal layout. */
  @Override
  public String toString() {
    return text(strategy, count, indices);
  }

  private static String text(Strategy strategy, int count, List<Integer> indices) {
    switch (strategy) {
      case LINEAR:
        return "linear";
      case EXPLICIT:
        StringBuilder b = new StringBuilder("explicit:");
        for (int j = 0; j < indices.size(); j++) {
          b.append(j == 0 ? "" : ",").append(indices.get(j));
        }
        return b.toString();
      default:
        return strategy.spelling() + ":" + count;
    }
  }
}
