package org.mmmamba.distill.data;

import java.util.EnumMap;
import java.util.Map;

/**
 * Counts of what happened to the samples read so far.
 *
 * @param ok samples returned to the caller
 * @param broken unusable samples per reason (every reason present, zero included)
 * @param filteredTooLong samples dropped because they exceeded {@code maxTokens} after tokenisation
 */
public record DatasetStats(long ok, Map<BrokenReason, Long> broken, long filteredTooLong) {

  /**
   * Fills absent reasons with zero and freezes the map.
   *
   * @param ok samples returned to the caller
   * @param broken unusable samples per reason (every reason present, zero included)
   * @param filteredTooLong samples dropped because they exceeded {@code maxTokens} after
   *     tokenisation
   */
  public DatasetStats {
    EnumMap<BrokenReason, Long> m = new EnumMap<>(BrokenReason.class);
    for (BrokenReason r : BrokenReason.values()) {
      m.put(r, broken.getOrDefault(r, 0L));
    }
    broken = java.util.Collections.unmodifiableMap(m);
  }

  /**
   * @return broken samples over all reasons
   */
  public long brokenTotal() {
    long n = 0;
    for (long v : broken.values()) {
      n += v;
    }
    return n;
  }

  /**
   * @return every sample seen: ok + broken + filtered
   */
  public long seen() {
    return ok + brokenTotal() + filteredTooLong;
  }

  /**
   * Count for one reason.
   *
   * @param reason the reason
   * @return how many samples were broken for it
   */
  public long broken(BrokenReason reason) {
    return broken.get(reason);
  }

  /**
   * @return a one-line human-readable report
   */
  public String report() {
    StringBuilder sb = new StringBuilder();
    sb.append("seen ").append(seen()).append(", ok ").append(ok);
    sb.append(", filtered (too long) ").append(filteredTooLong);
    sb.append(", broken ").append(brokenTotal());
    if (brokenTotal() > 0) {
      sb.append(" (");
      String sep = "";
      for (Map.Entry<BrokenReason, Long> e : broken.entrySet()) {
        if (e.getValue() > 0) {
          sb.append(sep)
              .append(e.getKey().name().toLowerCase(java.util.Locale.ROOT))
              .append(' ')
              .append(e.getValue());
          sep = ", ";
        }
      }
      sb.append(')');
    }
    return sb.toString();
  }
}
