package org.mmmamba.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The multi-window read path. Real files only need several mapping windows for tensors over 1 GiB,
 * which is too big for CI, so these tests open small files with windows of a few bytes: every
 * tensor then spans many windows, and the window/offset arithmetic (all in {@code long}) is the
 * same code that serves a multi-GiB tensor. Results must equal the single-window reads. Real
 * offsets past 2 GiB are covered by {@link LargeOffsetTest} on a sparse file.
 */
class WindowedReadTest {
  @TempDir Path dir;

  private Path file() {
    float[] f = new float[37];
    double[] d = new double[11];
    long[] l = new long[13];
    for (int i = 0; i < f.length; i++) {
      f[i] = i * 1.25f - 7;
    }
    for (int i = 0; i < d.length; i++) {
      d[i] = Math.pow(-3, i) / 7;
    }
    for (int i = 0; i < l.length; i++) {
      l[i] = (long) i * 1_000_000_007L - 50;
    }
    byte[] u8 = new byte[29];
    for (int i = 0; i < u8.length; i++) {
      u8[i] = (byte) (i * 37);
    }
    Path p = dir.resolve("w.safetensors");
    new SafetensorsWriter()
        .add(
            "odd",
            Dtype.U8,
            new long[] {1},
            ByteBuffer.wrap(new byte[] {5})) // unaligns what follows
        .addFloats("f32", new long[] {37}, f)
        .addFloatsAsBf16("bf16", new long[] {37}, f)
        .addFloatsAsF16("f16", new long[] {37}, f)
        .addDoubles("f64", new long[] {11}, d)
        .addLongs("i64", new long[] {13}, l)
        .add("u8", Dtype.U8, new long[] {29}, ByteBuffer.wrap(u8))
        .write(p);
    return p;
  }

  @ParameterizedTest(name = "window {0} bytes")
  @ValueSource(longs = {8, 12, 20, 64})
  void smallWindowsGiveTheSameValues(long window) {
    Path p = file();
    try (SafetensorsFile whole = SafetensorsFile.open(p);
        SafetensorsFile windowed = SafetensorsFile.open(p, window)) {
      for (TensorInfo t : whole.tensors()) {
        String n = t.name();
        assertArrayEquals(whole.readFloats(n), windowed.readFloats(n), n);
        assertArrayEquals(whole.readDoubles(n), windowed.readDoubles(n), n);
        if (!t.dtype().isFloat()) {
          assertArrayEquals(whole.readLongs(n), windowed.readLongs(n), n);
        }
        FloatBuffer fb =
            ByteBuffer.allocateDirect(4 * (int) t.numel())
                .order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        windowed.readFloatsInto(n, fb);
        fb.flip();
        float[] got = new float[fb.remaining()];
        fb.get(got);
        assertArrayEquals(whole.readFloats(n), got, n);
        DoubleBuffer db = DoubleBuffer.allocate((int) t.numel());
        windowed.readDoublesInto(n, db);
        assertArrayEquals(whole.readDoubles(n), db.array(), n);
        assertArrayEquals(bytes(whole.raw(n)), bytes(windowed.raw(n)), n);
      }
    }
  }

  @Test
  void windowBelowOneElementIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> SafetensorsFile.open(file(), 4));
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }
}
