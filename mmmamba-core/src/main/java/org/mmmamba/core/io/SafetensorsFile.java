package org.mmmamba.core.io;

import static org.mmmamba.core.io.SafetensorsHeader.quote;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.mmmamba.core.BadInputException;

/**
 * A read-only, memory-mapped view of one {@code .safetensors} file.
 *
 * <p>{@link #open} reads and validates the whole header up front (lengths, JSON, dtypes, shapes,
 * offsets, overlaps), so any later read of a listed tensor stays inside the file. Tensor bytes are
 * never loaded as a whole: each read maps the tensor's byte range with {@link FileChannel#map} in
 * windows of at most 1 GiB, so files and tensors larger than 2 GiB work. Problems with the file are
 * reported as {@link BadInputException} naming the file (and the tensor, where one applies); real
 * I/O failures as {@link UncheckedIOException}.
 *
 * <p>Reads are thread-safe. Closing releases the file handle; buffers returned by {@link #raw} stay
 * readable until they are garbage collected (that is how Java unmaps). Each read checks the file
 * size first, so a file truncated by another process after {@code open} gives a {@link
 * BadInputException} rather than a fault; a truncation racing with a read in progress cannot be
 * caught this way (the mapped page would fault), which is the usual caveat of memory mapping.
 */
public final class SafetensorsFile implements AutoCloseable {
  /** Default mapping window: large enough to be rare, small enough for any address space. */
  static final long DEFAULT_WINDOW_BYTES = 1L << 30;

  /** Largest Java array the VM reliably allocates. */
  static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

  /** Elements converted per step on the buffer paths; bounds the scratch array. */
  private static final int SCRATCH_ELEMS = 1 << 14;

  private final Path path;
  private final String label;
  private final FileChannel channel;
  private final long dataStart;
  private final long windowBytes;
  private final Map<String, String> metadata;
  private final List<TensorInfo> tensors;
  private final Map<String, TensorInfo> byName;
  private volatile boolean closed;

  private SafetensorsFile(
      Path path, FileChannel channel, long dataStart, long windowBytes, SafetensorsHeader header) {
    this.path = path;
    this.label = path.toString();
    this.channel = channel;
    this.dataStart = dataStart;
    this.windowBytes = windowBytes;
    this.metadata = header.metadata;
    this.tensors = header.tensors;
    this.byName = new HashMap<>();
    for (TensorInfo t : tensors) {
      byName.put(t.name(), t);
    }
  }

  /**
   * Opens a file and validates its header.
   *
   * @throws BadInputException if the file is missing, unreadable or malformed
   * @throws UncheckedIOException on an I/O error while reading the header
   */
  public static SafetensorsFile open(Path path) {
    return open(path, DEFAULT_WINDOW_BYTES);
  }

  /**
   * As {@link #open(Path)} with a chosen mapping window. Tests pass a tiny window so that the
   * multi-window path (which real files only hit above 1 GiB) runs on a file of a few bytes.
   */
  static SafetensorsFile open(Path path, long windowBytes) {
    if (windowBytes < 8) {
      throw new IllegalArgumentException("windowBytes must be >= 8, got " + windowBytes);
    }
    String label = path.toString();
    if (Files.isDirectory(path)) {
      throw new BadInputException(label + ": is a directory, not a .safetensors file");
    }
    FileChannel ch;
    try {
      ch = FileChannel.open(path, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new BadInputException(label + ": no such file", e);
    } catch (AccessDeniedException e) {
      throw new BadInputException(label + ": permission denied", e);
    } catch (IOException e) {
      throw new UncheckedIOException(label + ": cannot open: " + e.getMessage(), e);
    }
    try {
      long size = ch.size();
      if (size < 8) {
        throw new BadInputException(
            label + ": too short for a safetensors file (" + size + " bytes, need at least 8)");
      }
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, len, 0, label);
      long n = len.getLong(0); // unsigned on disk; a huge value shows up here as negative
      if (n < 2 || n > SafetensorsHeader.MAX_HEADER_BYTES) {
        throw new BadInputException(
            label
                + ": header length "
                + Long.toUnsignedString(n)
                + " is outside [2, "
                + SafetensorsHeader.MAX_HEADER_BYTES
                + "] (not a safetensors file?)");
      }
      if (n > size - 8) {
        throw new BadInputException(
            label
                + ": header length "
                + n
                + " exceeds the file size "
                + size
                + " (file truncated?)");
      }
      ByteBuffer json = ByteBuffer.allocate((int) n);
      readFully(ch, json, 8, label);
      SafetensorsHeader header = SafetensorsHeader.parse(json.array(), size - 8 - n, label);
      return new SafetensorsFile(path, ch, 8 + n, windowBytes, header);
    } catch (RuntimeException | Error e) {
      closeQuietly(ch, e);
      throw e;
    } catch (IOException e) {
      closeQuietly(ch, e);
      throw new UncheckedIOException(label + ": cannot read header: " + e.getMessage(), e);
    }
  }

  /** The path this file was opened from. */
  public Path path() {
    return path;
  }

  /**
   * The {@code __metadata__} strings, in file order; empty if the header has none. Unmodifiable.
   */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** All tensors in header order. Unmodifiable. */
  public List<TensorInfo> tensors() {
    return tensors;
  }

  /** Whether the file has a tensor of this name. */
  public boolean contains(String name) {
    return byName.containsKey(name);
  }

  /**
   * The header entry of one tensor.
   *
   * @throws BadInputException if there is no such tensor
   */
  public TensorInfo info(String name) {
    TensorInfo t = byName.get(name);
    if (t == null) {
      throw new BadInputException(label + ": no tensor " + quote(name));
    }
    return t;
  }

  /**
   * Reads a tensor as floats, whatever its dtype: F16/BF16 widen exactly, F64 and large integers
   * round to nearest, BOOL gives 0 or 1.
   *
   * @throws BadInputException if there is no such tensor or it has too many elements for an array
   */
  public float[] readFloats(String name) {
    TensorInfo t = info(name);
    float[] out = new float[arrayLength(t)];
    forEachChunk(t, (chunk, first, n) -> Decode.floats(t.dtype(), chunk, 0, out, (int) first, n));
    return out;
  }

  /**
   * Reads a tensor as doubles, whatever its dtype; exact except for I64 values beyond 2^53.
   *
   * @throws BadInputException if there is no such tensor or it has too many elements for an array
   */
  public double[] readDoubles(String name) {
    TensorInfo t = info(name);
    double[] out = new double[arrayLength(t)];
    forEachChunk(t, (chunk, first, n) -> Decode.doubles(t.dtype(), chunk, 0, out, (int) first, n));
    return out;
  }

  /**
   * Reads an integer tensor (I64, I32, I16, I8, U8, or BOOL as 0/1) as longs.
   *
   * @throws BadInputException if there is no such tensor, it is a float tensor, or it has too many
   *     elements for an array
   */
  public long[] readLongs(String name) {
    TensorInfo t = info(name);
    if (t.dtype().isFloat()) {
      throw new BadInputException(
          label + ": tensor " + quote(name) + " is " + t.dtype() + ", not an integer type");
    }
    long[] out = new long[arrayLength(t)];
    forEachChunk(t, (chunk, first, n) -> Decode.longs(t.dtype(), chunk, 0, out, (int) first, n));
    return out;
  }

  /**
   * Converts a tensor to floats (as {@link #readFloats}) and puts them into {@code dst} at its
   * position, advancing it by {@link TensorInfo#numel()}. Works for any tensor size, and into a
   * direct buffer without an intermediate array when the file is F32.
   *
   * @throws BadInputException if there is no such tensor
   * @throws IllegalArgumentException if {@code dst} has fewer than numel elements remaining
   */
  public void readFloatsInto(String name, FloatBuffer dst) {
    TensorInfo t = info(name);
    checkRoom(t, dst.remaining());
    float[] scratch = t.dtype() == Dtype.F32 ? null : new float[scratchLength(t)];
    forEachChunk(
        t,
        (chunk, first, n) -> {
          if (scratch == null) {
            dst.put(chunk.asFloatBuffer()); // bulk copy, no per-element work
            return;
          }
          for (int done = 0; done < n; done += scratch.length) {
            int k = Math.min(scratch.length, n - done);
            Decode.floats(t.dtype(), chunk, done, scratch, 0, k);
            dst.put(scratch, 0, k);
          }
        });
  }

  /**
   * Converts a tensor to doubles (as {@link #readDoubles}) and puts them into {@code dst} at its
   * position, advancing it by {@link TensorInfo#numel()}. Works for any tensor size.
   *
   * @throws BadInputException if there is no such tensor
   * @throws IllegalArgumentException if {@code dst} has fewer than numel elements remaining
   */
  public void readDoublesInto(String name, DoubleBuffer dst) {
    TensorInfo t = info(name);
    checkRoom(t, dst.remaining());
    double[] scratch = t.dtype() == Dtype.F64 ? null : new double[scratchLength(t)];
    forEachChunk(
        t,
        (chunk, first, n) -> {
          if (scratch == null) {
            dst.put(chunk.asDoubleBuffer());
            return;
          }
          for (int done = 0; done < n; done += scratch.length) {
            int k = Math.min(scratch.length, n - done);
            Decode.doubles(t.dtype(), chunk, done, scratch, 0, k);
            dst.put(scratch, 0, k);
          }
        });
  }

  /**
   * The tensor's bytes as a read-only, little-endian, memory-mapped buffer (position 0, limit =
   * {@link TensorInfo#byteLength()}).
   *
   * @throws BadInputException if there is no such tensor or it is larger than one buffer can hold
   *     (2 GiB); use the {@code read*Into} methods for those
   */
  public ByteBuffer raw(String name) {
    TensorInfo t = info(name);
    if (t.byteLength() > Integer.MAX_VALUE) {
      throw new BadInputException(
          label
              + ": tensor "
              + quote(name)
              + " has "
              + t.byteLength()
              + " bytes, more than one ByteBuffer holds; use readFloatsInto");
    }
    checkStillWhole(t);
    return map(t.begin(), (int) t.byteLength());
  }

  /** Closes the file handle. Idempotent. */
  @Override
  public void close() {
    closed = true;
    try {
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException(label + ": close failed", e);
    }
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Receives consecutive pieces of a tensor: {@code n} elements starting at element {@code first}.
   */
  @FunctionalInterface
  private interface ChunkSink {
    void accept(ByteBuffer chunk, long first, int n);
  }

  /**
   * Maps the tensor window by window and hands each window to {@code sink}, in order. Windows are a
   * whole number of elements, so no element straddles two of them.
   */
  private void forEachChunk(TensorInfo t, ChunkSink sink) {
    checkStillWhole(t);
    int elemBytes = t.dtype().bytes();
    long perWindow = Math.max(1, Math.min(windowBytes, Integer.MAX_VALUE) / elemBytes);
    long total = t.numel();
    for (long first = 0; first < total; first += perWindow) {
      int n = (int) Math.min(perWindow, total - first);
      ByteBuffer chunk = map(t.begin() + first * elemBytes, n * elemBytes);
      sink.accept(chunk, first, n);
    }
  }

  /** Maps {@code length} bytes at data-section offset {@code offset}, little-endian. */
  private ByteBuffer map(long offset, int length) {
    if (length == 0) {
      return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
    }
    try {
      return channel
          .map(FileChannel.MapMode.READ_ONLY, dataStart + offset, length)
          .order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException e) {
      throw new UncheckedIOException(label + ": cannot map bytes at " + (dataStart + offset), e);
    }
  }

  /**
   * Touching a mapping beyond the end of a file that shrank after open kills the VM with SIGBUS (or
   * an InternalError at best), so check the size again before every read.
   */
  private void checkStillWhole(TensorInfo t) {
    if (closed) {
      throw new IllegalStateException(label + ": file is closed");
    }
    long size;
    try {
      size = channel.size();
    } catch (IOException e) {
      throw new UncheckedIOException(label + ": cannot stat", e);
    }
    if (size < dataStart + t.end()) {
      throw new BadInputException(
          label
              + ": file shrank to "
              + size
              + " bytes while open; tensor "
              + quote(t.name())
              + " ends at "
              + (dataStart + t.end()));
    }
  }

  private int arrayLength(TensorInfo t) {
    long n = t.numel();
    if (n > MAX_ARRAY) {
      throw new BadInputException(
          label
              + ": tensor "
              + quote(t.name())
              + " has "
              + n
              + " elements, more than a Java array holds; use readFloatsInto/readDoublesInto");
    }
    return (int) n;
  }

  private void checkRoom(TensorInfo t, int remaining) {
    if (remaining < t.numel()) {
      throw new IllegalArgumentException(
          label
              + ": tensor "
              + quote(t.name())
              + " has "
              + t.numel()
              + " elements but the buffer has room for "
              + remaining);
    }
  }

  private int scratchLength(TensorInfo t) {
    return (int) Math.max(1, Math.min(SCRATCH_ELEMS, t.numel()));
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long position, String label)
      throws IOException {
    long pos = position;
    while (buf.hasRemaining()) {
      int r = ch.read(buf, pos);
      if (r < 0) {
        throw new BadInputException(label + ": unexpected end of file while reading the header");
      }
      pos += r;
    }
  }

  private static void closeQuietly(FileChannel ch, Throwable primary) {
    try {
      ch.close();
    } catch (IOException e) {
      primary.addSuppressed(e);
    }
  }
}
