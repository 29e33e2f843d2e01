package org.mmmamba.distill.metrics;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes {@code metrics.jsonl}: one JSON object per line, one line per step or event, flushed to
 * the OS after every line so a crash loses at most the line being written.
 *
 * <pre>
 * {"step":120,"loss":0.0312,"grad_norm":0.84,"lr":0.001,"tokens_per_s":5230.0}
 * {"event":"checkpoint","step":200,"path":"ckpt-200"}
 * </pre>
 *
 * <p>Keys keep insertion order. Non-finite doubles are written as the strings {@code "NaN"}, {@code
 * "Infinity"}, {@code "-Infinity"} (JSON has no literal for them). On resume, {@link #resume} drops
 * what a crash left after the checkpoint being resumed from (lines with a larger {@code step}, and
 * a torn last line), so the file of a resumed run reads like that of an uninterrupted one. Not
 * thread-safe.
 */
public final class MetricsWriter implements AutoCloseable {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final Path file;
  private final BufferedWriter out;

  private MetricsWriter(Path file, boolean append) {
    this.file = file;
    try {
      Path parent = file.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      this.out =
          append
              ? Files.newBufferedWriter(
                  file,
                  StandardCharsets.UTF_8,
                  StandardOpenOption.CREATE,
                  StandardOpenOption.APPEND)
              : Files.newBufferedWriter(
                  file,
                  StandardCharsets.UTF_8,
                  StandardOpenOption.CREATE,
                  StandardOpenOption.TRUNCATE_EXISTING,
                  StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open " + file + ": " + e, e);
    }
  }

  /** Starts a new file (an existing one is emptied). */
  public static MetricsWriter create(Path file) {
    return new MetricsWriter(file, false);
  }

  /**
   * Appends to an existing file (or creates it), first cutting a torn last line (one without its
   * newline) that a crash may have left.
   */
  public static MetricsWriter append(Path file) {
    cutTornLine(file);
    return new MetricsWriter(file, true);
  }

  /**
   * Continues a run resumed from the checkpoint at {@code lastStep}: keeps the lines whose {@code
   * step} is at most {@code lastStep} (and lines without a step), drops later ones and unreadable
   * ones, rewrites the file atomically, then appends.
   */
  public static MetricsWriter resume(Path file, long lastStep) {
    if (Files.exists(file)) {
      try {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        StringBuilder kept = new StringBuilder();
        for (String line : lines) {
          JsonNode n;
          try {
            n = MAPPER.readTree(line);
          } catch (JsonProcessingException e) {
            continue; // the torn line of a crash
          }
          if (n == null || !n.isObject()) {
            continue;
          }
          JsonNode step = n.get("step");
          if (step == null || !step.isNumber() || step.asLong() <= lastStep) {
            kept.append(line).append('\n');
          }
        }
        org.mmmamba.core.io.AtomicText.writeString(file, kept.toString());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file + ": " + e, e);
      }
    }
    return new MetricsWriter(file, true);
  }

  /** The file written. */
  public Path file() {
    return file;
  }

  /** Writes one object as a line and flushes it. */
  public void write(Map<String, ?> record) {
    try {
      out.write(MAPPER.writeValueAsString(record));
      out.write('\n');
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e, e);
    }
  }

  /** Writes {@code {"step": step, ...values}}. */
  public void step(long step, Map<String, ?> values) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("step", step);
    r.putAll(values);
    write(r);
  }

  /** Writes {@code {"event": type, ...values}}. */
  public void event(String type, Map<String, ?> values) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("event", type);
    r.putAll(values);
    write(r);
  }

  @Override
  public void close() {
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close " + file + ": " + e, e);
    }
  }

  private static void cutTornLine(Path file) {
    if (!Files.exists(file)) {
      return;
    }
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long size = ch.size();
      long keep = size;
      java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
      while (keep > 0) {
        one.clear();
        ch.read(one, keep - 1);
        if (one.get(0) == '\n') {
          break;
        }
        keep--;
      }
      if (keep < size) {
        ch.truncate(keep);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot repair " + file + ": " + e, e);
    }
  }
}
