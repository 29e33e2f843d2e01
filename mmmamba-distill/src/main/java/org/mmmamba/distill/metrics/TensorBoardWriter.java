package org.mmmamba.distill.metrics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Writes a TensorBoard event file ({@code events.out.tfevents.<seconds>.<host>.<pid>}) with scalar
 * summaries, so {@code tensorboard --logdir runs/<name>/tb} shows a run's curves. Pure Java: the
 * file format is small and written by hand here.
 *
 * <p>File format (TFRecord): each record is
 *
 * <pre>
 *   uint64 length (little endian)
 *   uint32 masked_crc32c(length bytes)
 *   byte[length] data            a serialised tensorflow.Event protobuf
 *   uint32 masked_crc32c(data)
 * </pre>
 *
 * where {@code masked(c) = ((c >>> 15) | (c << 17)) + 0xa282ead8} (unsigned 32-bit). The first
 * record is an {@code Event{wall_time, file_version: "brain.Event:2"}}; each scalar is an {@code
 * Event{wall_time (1, double), step (2, int64), summary (5) = Summary{value (1) = Value{tag (1,
 * string), simple_value (2, float)}}}}. A resumed run starts its new file with {@code Event{step +
 * 1, session_log (7) = SessionLog{status (1) = START}}}, which tells TensorBoard to drop the points
 * the crashed process logged after the checkpoint's step (as {@link MetricsWriter#resume} does for
 * {@code metrics.jsonl}).
 *
 * <p>Every event is flushed to the OS when written (a crash loses at most the record being
 * written). Not thread-safe.
 */
public final class TensorBoardWriter implements AutoCloseable {
  /** Prefix TensorBoard looks for in a log directory. */
  public static final String FILE_PREFIX = "events.out.tfevents.";

  private static final int MASK_DELTA = 0xa282ead8;

  private final Path file;
  private final OutputStream out;

  private TensorBoardWriter(Path file) {
    this.file = file;
    try {
      this.out =
          Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + file + ": " + e, e);
    }
  }

  /**
   * Opens a new event file in {@code dir} (created if missing; files already there are kept,
   * TensorBoard reads them all in name order).
   *
   * @param dir the log directory of one run, e.g. {@code runs/quickstart/tb/stage1}
   * @param resumedFromStep 0 for a fresh run; else the step of the checkpoint being resumed from
   * @return the writer, its header already written
   */
  public static TensorBoardWriter open(Path dir, long resumedFromStep) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir + ": " + e, e);
    }
    long seconds = System.currentTimeMillis() / 1000;
    String base = FILE_PREFIX + seconds + "." + host() + "." + ProcessHandle.current().pid();
    Path f = dir.resolve(base);
    for (int i = 1; Files.exists(f); i++) {
      f = dir.resolve(base + "." + i);
    }
    TensorBoardWriter w = new TensorBoardWriter(f);
    w.record(event(now(), 0, 3, "brain.Event:2".getBytes(StandardCharsets.UTF_8)));
    if (resumedFromStep > 0) {
      Proto log = new Proto();
      log.varint(1, 1); // SessionLog.START
      // TensorBoard drops the points at or after a START's step: the ones after the checkpoint.
      w.record(event(now(), resumedFromStep + 1, 7, log.bytes()));
    }
    return w;
  }

  /** The event file being written. */
  public Path file() {
    return file;
  }

  /**
   * Writes one scalar.
   *
   * @param tag the curve's name, e.g. {@code train/loss}
   * @param step the x value
   * @param value the y value (stored as float32, as TensorBoard's {@code simple_value})
   */
  public void scalar(String tag, long step, double value) {
    scalars(step, Map.of(tag, value));
  }

  /**
   * Writes several scalars of one step as one event.
   *
   * @param step the x value
   * @param values tag to value (stored as float32)
   */
  public void scalars(long step, Map<String, ? extends Number> values) {
    Proto summary = new Proto();
    for (Map.Entry<String, ? extends Number> e : values.entrySet()) {
      Proto v = new Proto();
      v.bytes(1, e.getKey().getBytes(StandardCharsets.UTF_8));
      v.fixed32(2, Float.floatToRawIntBits(e.getValue().floatValue()));
      summary.bytes(1, v.bytes());
    }
    record(event(now(), step, 5, summary.bytes()));
  }

  @Override
  public void close() {
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close " + file + ": " + e, e);
    }
  }

  /**
   * {@code Event{wall_time, step, <field> = payload}} (payload: a string or an embedded message).
   */
  private static byte[] event(double wallTime, long step, int field, byte[] payload) {
    Proto e = new Proto();
    e.fixed64(1, Double.doubleToRawLongBits(wallTime));
    if (step != 0) {
      e.varint(2, step);
    }
    e.bytes(field, payload);
    return e.bytes();
  }

  private void record(byte[] data) {
    ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(data.length);
    head.putInt(maskedCrc(head.array(), 0, 8));
    ByteBuffer tail = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    tail.putInt(maskedCrc(data, 0, data.length));
    try {
      out.write(head.array());
      out.write(data);
      out.write(tail.array());
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e, e);
    }
  }

  /** TFRecord's masked CRC32C of {@code b[off, off + len)}. */
  static int maskedCrc(byte[] b, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(b, off, len);
    int crc = (int) c.getValue();
    return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
  }

  private static double now() {
    return System.currentTimeMillis() / 1000.0;
  }

  private static String host() {
    try {
      String h = InetAddress.getLocalHost().getHostName();
      return h.replaceAll("[^A-Za-z0-9_-]", "_");
    } catch (IOException e) {
      return "localhost";
    }
  }

  /** A minimal protobuf encoder (varint, fixed32/64 and length-delimited fields). */
  private static final class Proto {
    private final ByteArrayOutputStream b = new ByteArrayOutputStream();

    void varint(int field, long v) {
      raw((long) field << 3);
      raw(v);
    }

    void fixed32(int field, int v) {
      raw(((long) field << 3) | 5);
      for (int i = 0; i < 4; i++) {
        b.write(v >>> (8 * i));
      }
    }

    void fixed64(int field, long v) {
      raw(((long) field << 3) | 1);
      for (int i = 0; i < 8; i++) {
        b.write((int) (v >>> (8 * i)));
      }
    }

    void bytes(int field, byte[] v) {
      raw(((long) field << 3) | 2);
      raw(v.length);
      b.write(v, 0, v.length);
    }

    private void raw(long v) {
      while ((v & ~0x7FL) != 0) {
        b.write((int) ((v & 0x7F) | 0x80));
        v >>>= 7;
      }
      b.write((int) v);
    }

    byte[] bytes() {
      return b.toByteArray();
    }
  }
}
