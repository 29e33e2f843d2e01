package org.mmmamba.core.io;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Atomic replacement of small text and byte files (configs, JSON reports), via {@link AtomicFiles}.
 */
public final class AtomicText {
  private AtomicText() {}

  /** Atomically creates or replaces {@code target} with UTF-8 text. */
  public static void writeString(Path target, String text) {
    writeBytes(target, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Atomically creates or replaces {@code target} with {@code bytes}. */
  public static void writeBytes(Path target, byte[] bytes) {
    AtomicFiles.write(
        target,
        ch -> {
          ByteBuffer buf = ByteBuffer.wrap(bytes);
          while (buf.hasRemaining()) {
            ch.write(buf);
          }
        });
  }
}
