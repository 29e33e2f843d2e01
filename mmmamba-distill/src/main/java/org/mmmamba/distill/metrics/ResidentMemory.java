package org.mmmamba.distill.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's resident set (VmRSS) and its peak (VmHWM) from Linux {@code /proc/self/status}; -1
 * elsewhere.
 */
public final class ResidentMemory {
  private static final Path STATUS = Path.of("/proc/self/status");

  private ResidentMemory() {}

  /** Current resident set in bytes; -1 if unknown. */
  public static long rssBytes() {
    return statusKb("VmRSS:");
  }

  /** Peak resident set in bytes; -1 if unknown. */
  public static long peakBytes() {
    return statusKb("VmHWM:");
  }

  private static long statusKb(String key) {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith(key)) {
          return Long.parseLong(line.substring(key.length()).replaceAll("[^0-9]", "")) * 1024L;
        }
      }
    } catch (IOException | NumberFormatException | SecurityException e) {
      return -1;
    }
    return -1;
  }
}
