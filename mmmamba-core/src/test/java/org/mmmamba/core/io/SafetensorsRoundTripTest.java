package org.mmmamba.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mmmamba.core.io.StBytes.buf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.BadInputException;

/** Writer → reader round trips for every dtype, with shape, metadata and order kept. */
class SafetensorsRoundTripTest {
  @TempDir Path dir;

  private static final float[] FLOATS = {0f, 1f, -1.5f, 3.25f, 1e-3f, -65504f};

  private Path writeAllDtypes() {
    Path p = dir.resolve("all.safetensors");
    new SafetensorsWriter()
        .metadata("format", "pt")
        .metadata("z-key", "last? no: insertion order")
        .metadata("a-key", "ünïcødé ✓")
        .addFloatsAsBf16("w.bf16", new long[] {2, 3}, FLOATS)
        .addDoubles("w.f64", new long[] {3}, new double[] {0.1, -2.5e-300, Math.PI})
        .addFloats("w.f32", new long[] {3, 2}, FLOATS)
        .addFloatsAsF16("w.f16", new long[] {6}, FLOATS)
        .addLongs("i.i64", new long[] {2, 1}, new long[] {Long.MIN_VALUE, 1L << 53})
        .add("i.i32", Dtype.I32, new long[] {2}, buf(StBytes.i32(-5, Integer.MAX_VALUE)))
        .add("i.i16", Dtype.I16, new long[] {3}, buf(StBytes.i16(-32768, 0, 32767)))
        .add("i.i8", Dtype.I8, new long[] {2}, buf(StBytes.bytes(-128, 127)))
        .add("i.u8", Dtype.U8, new long[] {2}, buf(StBytes.bytes(0, 255)))
        .add("mask", Dtype.BOOL, new long[] {1, 3}, buf(StBytes.bytes(1, 0, 1)))
        .addFloats("scalar", new long[0], new float[] {42f})
        .addFloats("empty", new long[] {0, 4}, new float[0])
        .write(p);
    return p;
  }

  @Test
  void everyDtypeRoundTripsWithShapeMetadataAndOrder() {
    try (SafetensorsFile f = SafetensorsFile.open(writeAllDtypes())) {
      List<String> names = new ArrayList<>();
      f.tensors().forEach(t -> names.add(t.name()));
      assertEquals(
          List.of(
              "w.bf16", "w.f64", "w.f32", "w.f16", "i.i64", "i.i32", "i.i16", "i.i8", "i.u8",
              "mask", "scalar", "empty"),
          names);
      assertEquals(List.of("format", "z-key", "a-key"), new ArrayList<>(f.metadata().keySet()));
      assertEquals("ünïcødé ✓", f.metadata().get("a-key"));

      assertEquals(Dtype.BF16, f.info("w.bf16").dtype());
      assertArrayEquals(new long[] {2, 3}, f.info("w.bf16").shape());
      // BF16 keeps 8 significant bits: these values are exact or round to nearest.
      float[] bf = f.readFloats("w.bf16");
      for (int i = 0; i < FLOATS.length; i++) {
        assertEquals(FLOATS[i], bf[i], Math.abs(FLOATS[i]) / 256);
      }
      assertArrayEquals(new double[] {0.1, -2.5e-300, Math.PI}, f.readDoubles("w.f64"));
      assertArrayEquals(FLOATS, f.readFloats("w.f32"));
      assertArrayEquals(new long[] {3, 2}, f.info("w.f32").shape());
      float[] half = f.readFloats("w.f16");
      for (int i = 0; i < FLOATS.length; i++) {
        assertEquals(FLOATS[i], half[i], Math.abs(FLOATS[i]) / 2048);
      }
      assertArrayEquals(new long[] {Long.MIN_VALUE, 1L << 53}, f.readLongs("i.i64"));
      assertArrayEquals(new long[] {-5, Integer.MAX_VALUE}, f.readLongs("i.i32"));
      assertArrayEquals(new long[] {-32768, 0, 32767}, f.readLongs("i.i16"));
      assertArrayEquals(new long[] {-128, 127}, f.readLongs("i.i8"));
      assertArrayEquals(new long[] {0, 255}, f.readLongs("i.u8"));
      assertArrayEquals(new float[] {0, 255}, f.readFloats("i.u8"));
      assertArrayEquals(new long[] {1, 0, 1}, f.readLongs("mask"));
      assertArrayEquals(new double[] {1, 0, 1}, f.readDoubles("mask"));
      assertArrayEquals(new float[] {42f}, f.readFloats("scalar"));
      assertEquals(0, f.info("scalar").shape().length);
      assertEquals(0, f.readFloats("empty").length);
      assertArrayEquals(new long[] {0, 4}, f.info("empty").shape());

      // Raw bytes are the little-endian encoding, read-only.
      ByteBuffer raw = f.raw("i.i32");
      assertEquals(ByteOrder.LITTLE_ENDIAN, raw.order());
      assertTrue(raw.isReadOnly());
      assertEquals(Integer.MAX_VALUE, raw.getInt(4));
    }
  }

  @Test
  void headerIsPaddedToEightBytesAndDataIsContiguous() {
    Path p = writeAllDtypes();
    byte[] bytes = StBytes.read(p);
    long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    assertEquals(0, n % 8);
    try (SafetensorsFile f = SafetensorsFile.open(p)) {
      long expected = 0;
      for (TensorInfo t : f.tensors()) {
        assertEquals(expected, t.begin(), t.name());
        expected = t.end();
      }
      assertEquals(bytes.length, 8 + n + expected);
    }
  }

  @Test
  void bufferPathsFillFromTheirPositionAndAdvanceIt() {
    try (SafetensorsFile f = SafetensorsFile.open(writeAllDtypes())) {
      for (String name : List.of("w.f32", "w.bf16", "i.i16")) {
        FloatBuffer direct =
            ByteBuffer.allocateDirect(4 * 10).order(ByteOrder.nativeOrder()).asFloatBuffer();
        direct.position(1);
        f.readFloatsInto(name, direct);
        assertEquals(1 + f.info(name).numel(), direct.position());
        float[] got = new float[(int) f.info(name).numel()];
        direct.position(1);
        direct.get(got);
        assertArrayEquals(f.readFloats(name), got, name);
      }
      DoubleBuffer d = DoubleBuffer.allocate(3);
      f.readDoublesInto("w.f64", d);
      assertArrayEquals(f.readDoubles("w.f64"), d.array());
      DoubleBuffer d2 = DoubleBuffer.allocate(6);
      f.readDoublesInto("w.f32", d2);
      assertArrayEquals(f.readDoubles("w.f32"), d2.array());
      assertThrows(
          IllegalArgumentException.class, () -> f.readFloatsInto("w.f32", FloatBuffer.allocate(5)));
    }
  }

  @Test
  void lookupErrorsNameFileAndTensor() {
    Path p = writeAllDtypes();
    try (SafetensorsFile f = SafetensorsFile.open(p)) {
      BadInputException e = assertThrows(BadInputException.class, () -> f.info("nope"));
      assertEquals(p + ": no tensor 'nope'", e.getMessage());
      BadInputException e2 = assertThrows(BadInputException.class, () -> f.readLongs("w.f32"));
      assertTrue(e2.getMessage().contains("'w.f32'") && e2.getMessage().contains(p.toString()));
      assertTrue(f.contains("mask"));
      assertEquals(p, f.path());
    }
  }

  @Test
  void closedFileRefusesReads() {
    SafetensorsFile f = SafetensorsFile.open(writeAllDtypes());
    f.close();
    f.close(); // idempotent
    assertThrows(IllegalStateException.class, () -> f.readFloats("w.f32"));
  }

  @Test
  void writerRejectsBadAdds() {
    SafetensorsWriter w = new SafetensorsWriter().addFloats("a", new long[] {2}, new float[2]);
    assertThrows(
        IllegalArgumentException.class, () -> w.addFloats("a", new long[] {1}, new float[1]));
    assertThrows(
        IllegalArgumentException.class, () -> w.addFloats("b", new long[] {3}, new float[2]));
    assertThrows(
        IllegalArgumentException.class, () -> w.addFloats("c", new long[] {-1}, new float[0]));
    assertThrows(
        IllegalArgumentException.class,
        () -> w.addFloats("__metadata__", new long[] {1}, new float[1]));
    assertThrows(
        IllegalArgumentException.class,
        () -> w.add("d", Dtype.I32, new long[] {2}, ByteBuffer.allocate(7)));
    assertThrows(
        IllegalArgumentException.class,
        () -> w.addDoubles("e", new long[] {1L << 62, 4}, new double[1]));
    // Rejected adds leave the writer usable and the name free.
    w.addFloats("b", new long[] {2}, new float[] {1, 2});
    Path p = dir.resolve("ok.safetensors");
    w.write(p);
    try (SafetensorsFile f = SafetensorsFile.open(p)) {
      assertEquals(2, f.tensors().size());
      assertEquals(Map.of(), f.metadata());
    }
  }

  @Test
  void addDoesNotMoveTheCallersBuffer() {
    ByteBuffer data = ByteBuffer.wrap(StBytes.i32(0, 7, 9));
    data.position(4);
    new SafetensorsWriter()
        .add("x", Dtype.I32, new long[] {2}, data)
        .write(dir.resolve("b.safetensors"));
    assertEquals(4, data.position());
    try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("b.safetensors"))) {
      assertArrayEquals(new long[] {7, 9}, f.readLongs("x"));
    }
  }

  @Test
  void lazySupplierIsCalledAtWriteTime() {
    int[] calls = {0};
    SafetensorsWriter w =
        new SafetensorsWriter()
            .add(
                "lazy",
                Dtype.F32,
                new long[] {2},
                () -> {
                  calls[0]++;
                  return ByteBuffer.wrap(StBytes.f32(5f, 6f));
                });
    assertEquals(0, calls[0]);
    w.write(dir.resolve("l.safetensors"));
    assertEquals(1, calls[0]);
    try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("l.safetensors"))) {
      assertArrayEquals(new float[] {5f, 6f}, f.readFloats("lazy"));
    }
  }

  @Test
  void largeTensorStreamsThroughSeveralStagingBuffers() {
    // 3 MiB of floats: more than one 1 MiB staging buffer, so the chunk loop runs several times.
    float[] big = new float[3 * (1 << 18) + 5];
    for (int i = 0; i < big.length; i++) {
      big[i] = i * 0.5f;
    }
    Path p = dir.resolve("big.safetensors");
    new SafetensorsWriter()
        .addFloats("big", new long[] {big.length}, big)
        .addFloatsAsBf16("big16", new long[] {big.length}, big)
        .write(p);
    try (SafetensorsFile f = SafetensorsFile.open(p)) {
      assertArrayEquals(big, f.readFloats("big"));
      float[] b16 = f.readFloats("big16");
      assertEquals(big[big.length - 1], b16[big.length - 1], big[big.length - 1] / 256);
      assertEquals(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(big[1234])), b16[1234]);
    }
  }
}
