package org.mmmamba.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Byte-exact compatibility with {@code io/python_reference.safetensors}, made by {@code
 * io/make_python_reference.py} (the layout Python's {@code safetensors.numpy.save_file} produces;
 * see the script for how). We read it, and our writer, given the same tensors in the reference
 * order, writes the identical bytes.
 */
class PythonReferenceTest {
  @TempDir Path dir;

  private static Path reference() {
    try {
      return Path.of(
          PythonReferenceTest.class.getResource("/io/python_reference.safetensors").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void readsTheReferenceFile() {
    try (SafetensorsFile f = SafetensorsFile.open(reference())) {
      assertEquals(Map.of("format", "pt"), f.metadata());
      // The reference writer orders by dtype alignment (descending), then name.
      assertEquals(
          List.of(
              "b.i64",
              "a.f64",
              "c.f32",
              "k.empty",
              "l.scalar",
              "d.i32",
              "e.bf16",
              "f.f16",
              "g.i16",
              "h.i8",
              "i.u8",
              "j.bool"),
          f.tensors().stream().map(TensorInfo::name).toList());
      assertArrayEquals(new long[] {-1, 0, 1L << 40}, f.readLongs("b.i64"));
      assertArrayEquals(new double[] {1.5, -2.25}, f.readDoubles("a.f64"));
      assertArrayEquals(new float[] {0f, 1f, -1f, 0.5f, 3.25f, -0.001f}, f.readFloats("c.f32"));
      assertArrayEquals(new long[] {2, 3}, f.info("c.f32").shape());
      assertArrayEquals(new long[] {0, 3}, f.info("k.empty").shape());
      assertEquals(0, f.readFloats("k.empty").length);
      assertArrayEquals(new float[] {7f}, f.readFloats("l.scalar"));
      assertArrayEquals(new long[] {-7, Integer.MAX_VALUE}, f.readLongs("d.i32"));
      assertArrayEquals(new float[] {1f, -2f, 0.5f, 3.140625f}, f.readFloats("e.bf16"));
      assertArrayEquals(new float[] {1f, -0.5f, 65504f, 0x1p-24f}, f.readFloats("f.f16"));
      assertArrayEquals(new long[] {-32768, 12345}, f.readLongs("g.i16"));
      assertArrayEquals(new long[] {-128, 0, 127}, f.readLongs("h.i8"));
      assertArrayEquals(new long[] {0, 128, 255}, f.readLongs("i.u8"));
      assertArrayEquals(new long[] {1, 0}, f.readLongs("j.bool"));
    }
  }

  @Test
  void writerReproducesTheReferenceBytes() {
    Path ours = dir.resolve("ours.safetensors");
    new SafetensorsWriter()
        .metadata("format", "pt")
        .addLongs("b.i64", new long[] {3}, new long[] {-1, 0, 1L << 40})
        .addDoubles("a.f64", new long[] {2}, new double[] {1.5, -2.25})
        .addFloats("c.f32", new long[] {2, 3}, new float[] {0f, 1f, -1f, 0.5f, 3.25f, -0.001f})
        .addFloats("k.empty", new long[] {0, 3}, new float[0])
        .addFloats("l.scalar", new long[0], new float[] {7f})
        .add(
            "d.i32", Dtype.I32, new long[] {2}, ByteBuffer.wrap(StBytes.i32(-7, Integer.MAX_VALUE)))
        .addFloatsAsBf16("e.bf16", new long[] {4}, new float[] {1f, -2f, 0.5f, 3.140625f})
        .addFloatsAsF16("f.f16", new long[] {2, 2}, new float[] {1f, -0.5f, 65504f, 0x1p-24f})
        .add("g.i16", Dtype.I16, new long[] {2}, ByteBuffer.wrap(StBytes.i16(-32768, 12345)))
        .add("h.i8", Dtype.I8, new long[] {3}, ByteBuffer.wrap(StBytes.bytes(-128, 0, 127)))
        .add("i.u8", Dtype.U8, new long[] {3}, ByteBuffer.wrap(StBytes.bytes(0, 128, 255)))
        .add("j.bool", Dtype.BOOL, new long[] {2}, ByteBuffer.wrap(StBytes.bytes(1, 0)))
        .write(ours);
    assertArrayEquals(StBytes.read(reference()), StBytes.read(ours));
  }
}
