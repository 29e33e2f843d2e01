package org.mmmamba.distill.metrics;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * An independent reader of TensorBoard event files, for tests: its own CRC-32C (bitwise, Castagnoli
 * polynomial 0x82F63B78, not java.util.zip.CRC32C), its own TFRecord framing and a generic protobuf
 * decoder that knows only the field numbers of tensorflow's event.proto / summary.proto. Every
 * record's two CRCs are checked; a bad one throws.
 */
public final class TfEvents {
  private TfEvents() {}

  /**
   * One decoded event. {@code fileVersion}, {@code sessionStatus} and {@code scalars} are set when
   * present.
   */
  public record Event(
      double wallTime,
      long step,
      String fileVersion,
      Integer sessionStatus,
      Map<String, Float> scalars) {}

  /**
   * Every event of every {@code events.out.tfevents.*} file in {@code dir}, files in name order.
   */
  public static List<Event> readDir(Path dir) throws IOException {
    List<Event> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path f :
          s.filter(p -> p.getFileName().toString().startsWith("events.out.tfevents."))
              .sorted()
              .toList()) {
        out.addAll(read(f));
      }
    }
    return out;
  }

  /** Every event of one file. */
  public static List<Event> read(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    List<Event> out = new ArrayList<>();
    while (b.hasRemaining()) {
      if (b.remaining() < 12) {
        throw new IOException(file + ": truncated record header at " + b.position());
      }
      int start = b.position();
      long len = b.getLong();
      int lenCrc = b.getInt();
      if (lenCrc != masked(crc32c(all, start, 8))) {
        throw new IOException(file + ": bad length CRC at " + start);
      }
      if (len < 0 || len > b.remaining() - 4) {
        throw new IOException(file + ": truncated record at " + start);
      }
      int dataStart = b.position();
      b.position(dataStart + (int) len);
      int dataCrc = b.getInt();
      if (dataCrc != masked(crc32c(all, dataStart, (int) len))) {
        throw new IOException(file + ": bad data CRC at " + start);
      }
      out.add(decodeEvent(all, dataStart, dataStart + (int) len));
    }
    return out;
  }

  /** Bitwise CRC-32C (Castagnoli), reflected, init and final xor 0xFFFFFFFF. */
  static int crc32c(byte[] b, int off, int len) {
    int crc = 0xFFFFFFFF;
    for (int i = off; i < off + len; i++) {
      crc ^= b[i] & 0xFF;
      for (int k = 0; k < 8; k++) {
        crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x82F63B78 : crc >>> 1;
      }
    }
    return ~crc;
  }

  static int masked(int crc) {
    return Integer.rotateRight(crc, 15) + 0xa282ead8;
  }

  private static Event decodeEvent(byte[] b, int from, int to) throws IOException {
    double wall = 0;
    long step = 0;
    String version = null;
    Integer status = null;
    Map<String, Float> scalars = new TreeMap<>();
    for (Field f : fields(b, from, to)) {
      switch (f.number) {
        case 1 -> wall = Double.longBitsToDouble(f.fixed);
        case 2 -> step = f.varint;
        case 3 -> version = new String(b, f.from, f.to - f.from, StandardCharsets.UTF_8);
        case 5 -> {
          for (Field v : fields(b, f.from, f.to)) {
            if (v.number != 1) {
              throw new IOException("Summary: unexpected field " + v.number);
            }
            String tag = null;
            Float value = null;
            for (Field x : fields(b, v.from, v.to)) {
              if (x.number == 1) {
                tag = new String(b, x.from, x.to - x.from, StandardCharsets.UTF_8);
              } else if (x.number == 2 && x.wire == 5) {
                value = Float.intBitsToFloat((int) x.fixed);
              } else {
                throw new IOException("Summary.Value: unexpected field " + x.number);
              }
            }
            scalars.put(tag, value);
          }
        }
        case 7 -> {
          for (Field s : fields(b, f.from, f.to)) {
            if (s.number == 1) {
              status = (int) s.varint;
            }
          }
        }
        default -> throw new IOException("Event: unexpected field " + f.number);
      }
    }
    return new Event(wall, step, version, status, scalars);
  }

  private record Field(int number, int wire, long varint, long fixed, int from, int to) {}

  private static List<Field> fields(byte[] b, int from, int to) throws IOException {
    List<Field> out = new ArrayList<>();
    int[] pos = {from};
    while (pos[0] < to) {
      long key = varint(b, pos);
      int number = (int) (key >>> 3);
      int wire = (int) (key & 7);
      switch (wire) {
        case 0 -> out.add(new Field(number, wire, varint(b, pos), 0, 0, 0));
        case 1 -> {
          out.add(
              new Field(
                  number,
                  wire,
                  0,
                  ByteBuffer.wrap(b, pos[0], 8).order(ByteOrder.LITTLE_ENDIAN).getLong(),
                  0,
                  0));
          pos[0] += 8;
        }
        case 5 -> {
          out.add(
              new Field(
                  number,
                  wire,
                  0,
                  ByteBuffer.wrap(b, pos[0], 4).order(ByteOrder.LITTLE_ENDIAN).getInt()
                      & 0xFFFFFFFFL,
                  0,
                  0));
          pos[0] += 4;
        }
        case 2 -> {
          int len = (int) varint(b, pos);
          out.add(new Field(number, wire, 0, 0, pos[0], pos[0] + len));
          pos[0] += len;
        }
        default -> throw new IOException("unsupported wire type " + wire);
      }
      if (pos[0] > to) {
        throw new IOException("field " + number + " runs past its message");
      }
    }
    return out;
  }

  private static long varint(byte[] b, int[] pos) {
    long v = 0;
    for (int shift = 0; ; shift += 7) {
      byte x = b[pos[0]++];
      v |= (long) (x & 0x7F) << shift;
      if ((x & 0x80) == 0) {
        return v;
      }
    }
  }
}
