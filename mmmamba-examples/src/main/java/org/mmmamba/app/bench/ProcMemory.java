package org.mmmamba.app.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's resident memory from Linux {@code /proc/self}: current RSS (VmRSS) and peak RSS
 * (VmHWM). Writing "5" to {@code /proc/self/clear_refs} resets the peak to the current RSS, so a
 * peak can be measured per benchmark point. Everything falls back to -1 / false where /proc is
 * absent or read-only.
 *
 * <p>Caveat: with jemalloc and decay off (the launcher's setting) freed memory stays resident, so
 * RSS after a large temporary does not fall back; that is why points run in fresh JVMs when {@code
 * isolate} is on.
 */
public final class ProcMemory {
  private static final Path STATUS = Path.of("/proc/self/status");
  private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

  private ProcMemory() {}

  /** Resets the peak RSS to the current RSS; false when the kernel does not allow it. */
  public static boolean resetPeak() {
    try {
      Files.writeString(CLEAR_REFS, "5");
      return true;
    } catch (IOException | SecurityException | UnsupportedOperationException e) {
      return false;
    }
  }

  /** Peak resident set since start or the last {@link #resetPeak}, in bytes; -1 if unknown. */
  public static long peakBytes() {
    return statusKb("VmHWM:");
  }

  /** Current resident set in bytes; -1 if unknown. */
  public static long rssBytes() {
    return statusKb("VmRSS:");
  }

  private static long statusKb(String key) {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith(key)) {
          String digits = line.substring(key.length()).replaceAll("[^0-9]", "");
          return Long.parseLong(digits) * 1024L;
        }
      }
    } catch (IOException | NumberFormatException | SecurityException e) {
      return -1;
    }
    return -1;
  }
}
