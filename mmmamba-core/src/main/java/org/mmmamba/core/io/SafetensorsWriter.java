package org.mmmamba.core.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Collects tensors and metadata, then writes them as one {@code .safetensors} file.
 *
 * <pre>{@code
 * new SafetensorsWriter()
 *     .metadata("format", "pt")
 *     .addFloats("w", new long[] {2, 3}, w)
 *     .write(Path.of("model.safetensors"));
 * }</pre>
 *
 * <p>Tensors are written in insertion order; the header is compact JSON padded with spaces to a
 * multiple of 8 bytes, as the reference implementation writes it. Data is not copied when added:
 * arrays and buffers are read during {@link #write}, in small pieces straight to the file, so do
 * not change them in between. {@link #write} is atomic (see {@link #write}). For a sharded
 * checkpoint directory pass the writer to {@link CheckpointWriter#write}.
 *
 * <p>Not thread-safe.
 */
public final class SafetensorsWriter {
  /** Bytes staged per write call; also bounds the temporary direct buffer the JDK makes. */
  private static final int STAGE_BYTES = 1 << 20;

  private final Map<String, String> metadata = new LinkedHashMap<>();
  private final List<Entry> entries = new ArrayList<>();
  private final Set<String> names = new HashSet<>();

  /** Creates an empty writer. */
  public SafetensorsWriter() {}

  /**
   * Adds a {@code __metadata__} string; a repeated key replaces the earlier value.
   *
   * @return this
   */
  public SafetensorsWriter metadata(String key, String value) {
    metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return this;
  }

  /**
   * Adds a tensor from raw bytes: elements little-endian, row-major. The buffer's remaining bytes
   * are used (its position and limit are not changed, its content is read at write time).
   *
   * @throws IllegalArgumentException if the name is taken or reserved, a dimension is negative, or
   *     the byte count differs from shape × dtype size
   * @return this
   */
  public SafetensorsWriter add(String name, Dtype dtype, long[] shape, ByteBuffer data) {
    long bytes = checkNew(name, dtype, shape, data.remaining());
    ByteBuffer view = data.slice();
    entries.add(new Entry(name, dtype, shape.clone(), bytes, (out, buf) -> writeBuffer(out, view)));
    return this;
  }

  /**
   * Adds a tensor whose bytes are produced only during {@link #write}, e.g. read from another file,
   * so a large checkpoint never sits in memory twice. The supplier is called once per write; its
   * buffer must hold exactly shape × dtype size bytes, little-endian.
   *
   * @throws IllegalArgumentException if the name is taken or reserved or a dimension is negative
   * @return this
   */
  public SafetensorsWriter add(String name, Dtype dtype, long[] shape, Supplier<ByteBuffer> data) {
    Objects.requireNonNull(data, "data");
    long bytes = checkNew(name, dtype, shape, -1);
    entries.add(
        new Entry(
            name,
            dtype,
            shape.clone(),
            bytes,
            (out, buf) -> {
              ByteBuffer b = data.get();
              if (b == null || b.remaining() != bytes) {
                throw new IllegalArgumentException(
                    "tensor '"
                        + name
                        + "': supplier gave "
                        + (b == null ? "null" : b.remaining() + " bytes")
                        + ", expected "
                        + bytes);
              }
              writeBuffer(out, b.slice());
            }));
    return this;
  }

  /** Adds an F32 tensor. See {@link #add(String, Dtype, long[], ByteBuffer)} for the errors. */
  public SafetensorsWriter addFloats(String name, long[] shape, float[] data) {
    return addEncoded(
        name,
        Dtype.F32,
        shape,
        data.length,
        (buf, from, n) -> buf.asFloatBuffer().put(data, from, n));
  }

  /** Adds an F64 tensor. See {@link #add(String, Dtype, long[], ByteBuffer)} for the errors. */
  public SafetensorsWriter addDoubles(String name, long[] shape, double[] data) {
    return addEncoded(
        name,
        Dtype.F64,
        shape,
        data.length,
        (buf, from, n) -> buf.asDoubleBuffer().put(data, from, n));
  }

  /** Adds an I64 tensor. See {@link #add(String, Dtype, long[], ByteBuffer)} for the errors. */
  public SafetensorsWriter addLongs(String name, long[] shape, long[] data) {
    return addEncoded(
        name,
        Dtype.I64,
        shape,
        data.length,
        (buf, from, n) -> buf.asLongBuffer().put(data, from, n));
  }

  /**
   * Adds floats stored as BF16, rounded to nearest even. See {@link #add(String, Dtype, long[],
   * ByteBuffer)} for the errors.
   */
  public SafetensorsWriter addFloatsAsBf16(String name, long[] shape, float[] data) {
    return addEncoded(
        name,
        Dtype.BF16,
        shape,
        data.length,
        (buf, from, n) -> {
          for (int i = 0; i < n; i++) {
            buf.putShort(2 * i, HalfFloats.floatToBf16(data[from + i]));
          }
        });
  }

  /**
   * Adds floats stored as F16 (IEEE half), rounded to nearest even; beyond ±65504 they become ±Inf.
   * See {@link #add(String, Dtype, long[], ByteBuffer)} for the errors.
   */
  public SafetensorsWriter addFloatsAsF16(String name, long[] shape, float[] data) {
    return addEncoded(
        name,
        Dtype.F16,
        shape,
        data.length,
        (buf, from, n) -> {
          for (int i = 0; i < n; i++) {
            buf.putShort(2 * i, HalfFloats.floatToF16(data[from + i]));
          }
        });
  }

  /**
   * Writes everything to {@code target} atomically: a temp file in the same directory is written,
   * fsynced and renamed over the target. If anything fails (I/O, a throwing supplier) the temp file
   * is removed and an existing target is untouched. The writer can be written again afterwards.
   *
   * @throws UncheckedIOException on I/O failure
   * @throws IllegalArgumentException if a supplier returns the wrong number of bytes
   */
  public void write(Path target) {
    writeFile(target, metadata, entries);
  }

  // ---------------------------------------------------------------------------------------------

  /** One tensor waiting to be written. */
  record Entry(String name, Dtype dtype, long[] shape, long bytes, Body body) {}

  /** Streams one tensor's bytes into the file, through a shared direct staging buffer. */
  @FunctionalInterface
  interface Body {
    void writeTo(WritableByteChannel out, ByteBuffer stage) throws IOException;
  }

  /** Fills {@code buf} (little-endian, position 0) with elements {@code [from, from + n)}. */
  @FunctionalInterface
  private interface Filler {
    void fill(ByteBuffer buf, int from, int n);
  }

  Map<String, String> metadataView() {
    return Collections.unmodifiableMap(metadata);
  }

  List<Entry> entries() {
    return Collections.unmodifiableList(entries);
  }

  /** Writes one file holding {@code entries} in order; shared with {@link CheckpointWriter}. */
  static void writeFile(Path target, Map<String, String> metadata, List<Entry> entries) {
    List<TensorInfo> infos = new ArrayList<>(entries.size());
    long offset = 0;
    for (Entry e : entries) {
      infos.add(new TensorInfo(e.name(), e.dtype(), e.shape(), offset, offset + e.bytes()));
      offset += e.bytes();
    }
    long dataBytes = offset;
    byte[] header = SafetensorsHeader.encode(metadata, infos);
    if (header.length > SafetensorsHeader.MAX_HEADER_BYTES) {
      throw new IllegalArgumentException(
          "header of " + target + " would be " + header.length + " bytes; readers refuse > 100 MB");
    }
    AtomicFiles.write(
        target,
        out -> {
          ByteBuffer head = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
          head.putLong(header.length).put(header).flip();
          writeBuffer(out, head);
          ByteBuffer stage =
              ByteBuffer.allocateDirect((int) Math.min(STAGE_BYTES, Math.max(8, dataBytes)))
                  .order(ByteOrder.LITTLE_ENDIAN);
          for (Entry e : entries) {
            long before = out.position();
            e.body().writeTo(out, stage);
            if (out.position() - before != e.bytes()) {
              throw new IllegalStateException(
                  "tensor '"
                      + e.name()
                      + "' wrote "
                      + (out.position() - before)
                      + " bytes, expected "
                      + e.bytes());
            }
          }
          if (out.position() != 8 + header.length + dataBytes) {
            throw new IllegalStateException("file size mismatch writing " + target);
          }
        });
  }

  /** Adds a tensor of {@code count} Java elements that {@code filler} encodes at write time. */
  private SafetensorsWriter addEncoded(
      String name, Dtype dtype, long[] shape, int count, Filler filler) {
    long bytes = checkNew(name, dtype, shape, (long) count * dtype.bytes());
    entries.add(
        new Entry(
            name,
            dtype,
            shape.clone(),
            bytes,
            (out, buf) -> encodeThrough(out, buf, count, dtype.bytes(), filler)));
    return this;
  }

  private long checkNew(String name, Dtype dtype, long[] shape, long actualBytes) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(shape, "shape");
    if (name.equals(SafetensorsHeader.METADATA_KEY)) {
      throw new IllegalArgumentException("'" + name + "' is reserved for metadata");
    }
    if (names.contains(name)) {
      throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
    }
    long bytes;
    try {
      bytes = Math.multiplyExact(TensorInfo.numel(shape), (long) dtype.bytes());
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(
          "tensor '" + name + "': shape " + Arrays.toString(shape) + " overflows");
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("tensor '" + name + "': " + e.getMessage());
    }
    if (actualBytes >= 0 && actualBytes != bytes) {
      throw new IllegalArgumentException(
          "tensor '"
              + name
              + "': shape "
              + Arrays.toString(shape)
              + " of "
              + dtype
              + " needs "
              + bytes
              + " bytes, data has "
              + actualBytes);
    }
    names.add(name);
    return bytes;
  }

  /**
   * Writes a buffer in bounded slices: the JDK copies a heap buffer into a direct one of equal
   * size.
   */
  private static void writeBuffer(WritableByteChannel out, ByteBuffer src) throws IOException {
    ByteBuffer b = src.duplicate();
    int end = b.limit();
    while (b.position() < end) {
      b.limit((int) Math.min(end, (long) b.position() + STAGE_BYTES));
      while (b.hasRemaining()) {
        out.write(b);
      }
    }
  }

  /** Encodes {@code count} elements of {@code elemBytes} each through the staging buffer. */
  private static void encodeThrough(
      WritableByteChannel out, ByteBuffer buf, int count, int elemBytes, Filler filler)
      throws IOException {
    int perStage = buf.capacity() / elemBytes;
    for (int from = 0; from < count; from += perStage) {
      int n = Math.min(perStage, count - from);
      buf.clear();
      filler.fill(buf, from, n);
      buf.limit(n * elemBytes);
      while (buf.hasRemaining()) {
        out.write(buf);
      }
    }
  }
}
