package org.mmmamba.core.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Replaces a file all at once: readers (and a crash) see either the old file or the complete new
 * one, never a half-written mix.
 *
 * <p>Recipe: write a hidden temp file in the target's directory (same file system, so the rename is
 * atomic), fsync it, rename it over the target, then fsync the directory so the rename itself is
 * durable. On any failure the temp file is deleted and the target is left as it was. A kill can
 * leave a temp file behind; the next successful write of the same target removes it.
 */
final class AtomicFiles {
  private AtomicFiles() {}

  /** Writes the body of a file into an open channel positioned at 0. */
  @FunctionalInterface
  interface Body {
    void writeTo(FileChannel out) throws IOException;
  }

  /**
   * Atomically creates or replaces {@code target} with what {@code body} writes.
   *
   * @throws UncheckedIOException if writing, syncing or renaming fails
   * @throws RuntimeException whatever {@code body} throws, unchanged
   */
  static void write(Path target, Body body) {
    Path abs = target.toAbsolutePath();
    Path dir = abs.getParent();
    // Not Files.createTempFile: it creates mode 0600, and the rename would keep that.
    Path tmp =
        dir.resolve(
            "."
                + abs.getFileName()
                + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong())
                + ".tmp");
    boolean done = false;
    try {
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        body.writeTo(ch);
        ch.force(true);
      }
      Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      done = true;
      syncDirectory(dir);
      removeStaleTemps(dir, abs.getFileName().toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + abs + ": " + e, e);
    } finally {
      if (!done) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // Best effort: the original failure is what the caller needs to see.
        }
      }
    }
  }

  /**
   * Deletes temp files of earlier writes of the same target that a kill left behind ({@code
   * .<name>.<hex>.tmp}); one writer per target, so none of them can still be in use.
   */
  private static void removeStaleTemps(Path dir, String name) {
    try (DirectoryStream<Path> ds =
        Files.newDirectoryStream(dir, "." + globQuote(name) + ".*.tmp")) {
      for (Path p : ds) {
        String mid = p.getFileName().toString();
        mid = mid.substring(name.length() + 2, mid.length() - 4);
        if (mid.matches("[0-9a-f]{1,16}")) {
          Files.deleteIfExists(p);
        }
      }
    } catch (IOException | java.nio.file.DirectoryIteratorException ignored) {
      // Litter only: the target itself is written.
    }
  }

  private static String globQuote(String s) {
    return s.replaceAll("([\\\\*?\\[\\]{}])", "\\\\$1");
  }

  /**
   * Makes the rename durable. Some platforms cannot open directories; the rename already happened.
   */
  private static void syncDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException ignored) {
      // Not supported here (e.g. Windows); durability of the rename is then up to the OS.
    }
  }
}
