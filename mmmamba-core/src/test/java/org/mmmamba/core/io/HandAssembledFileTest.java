package org.mmmamba.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files built byte by byte from the format description, so the reader is checked against the format
 * itself rather than against our own writer; plus byte vectors from the reference implementation's
 * unit tests, which our writer must reproduce exactly.
 */
class HandAssembledFileTest {
  @TempDir Path dir;

  @Test
  void readsAnUnpaddedHeaderWithGapsUnalignedOffsetsAndAnyKeyOrder() {
    // Header order differs from data order; "b" starts at an odd offset; bytes 6..8 are a gap;
    // no padding; keys inside entries in a different order; an unknown field is ignored.
    String header =
        "{\"b\":{\"shape\":[2],\"data_offsets\":[9,17],\"dtype\":\"F32\",\"extra\":1},"
            + "\"__metadata__\":{\"k\":\"v\"},"
            + "\"a\":{\"dtype\":\"I16\",\"shape\":[3],\"data_offsets\":[0,6]}}";
    byte[] data =
        StBytes.concat(
            StBytes.i16(1, -2, 300), StBytes.bytes(0xAA, 0xBB, 0xCC), StBytes.f32(1.5f, -8f));
    Path p = StBytes.write(dir, "hand.safetensors", StBytes.file(header, data));
    try (SafetensorsFile f = SafetensorsFile.open(p)) {
      assertEquals(List.of("b", "a"), f.tensors().stream().map(TensorInfo::name).toList());
      assertEquals(Map.of("k", "v"), f.metadata());
      assertEquals(new TensorInfo("b", Dtype.F32, new long[] {2}, 9, 17), f.info("b"));
      assertArrayEquals(new float[] {1.5f, -8f}, f.readFloats("b"));
      assertArrayEquals(new long[] {1, -2, 300}, f.readLongs("a"));
    }
  }

  @Test
  void readsEveryDtypeFromKnownBitPatterns() {
    String header =
        "{\"h\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]},"
            + "\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[12,20]},"
            + "\"u\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[20,22]},"
            + "\"t\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[22,24]}}";
    byte[] data =
        StBytes.concat(
            // F16: 1.0 = 0x3c00, -2.0 = 0xc000, smallest subnormal 0x0001 = 2^-24, +Inf = 0x7c00
            StBytes.i16(0x3c00, 0xc000, 0x0001, 0x7c00),
            // BF16: 1.0 = 0x3f80, -0.5 = 0xbf00
            StBytes.i16(0x3f80, 0xbf00),
            StBytes.f64(-0.1),
            StBytes.bytes(200, 7),
            StBytes.bytes(0, 5)); // BOOL: any non-zero byte is true
    Path p = StBytes.write(dir, "bits.safetensors", StBytes.file(header, data));
    try (SafetensorsFile f = SafetensorsFile.open(p)) {
      assertArrayEquals(
          new float[] {1f, -2f, 0x1p-24f, Float.POSITIVE_INFINITY}, f.readFloats("h"));
      assertArrayEquals(new float[] {1f, -0.5f}, f.readFloats("b"));
      assertArrayEquals(new double[] {-0.1}, f.readDoubles("d"));
      assertArrayEquals(new float[] {(float) -0.1}, f.readFloats("d"));
      assertArrayEquals(new long[] {200, 7}, f.readLongs("u"));
      assertArrayEquals(new long[] {0, 1}, f.readLongs("t"));
    }
  }

  // Byte vectors below are the expected outputs in the reference implementation's own tests
  // (huggingface/safetensors, safetensors/src/tensor.rs: test_serialization_forced_alignement and
  // test_empty).

  @Test
  void writerMatchesReferenceBytesForOneF32Tensor() {
    int[] expected = {
      72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116, 121, 112,
      101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 49, 44,
      50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91,
      48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32, 32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0,
      64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64
    };
    Path p = dir.resolve("attn0.safetensors");
    new SafetensorsWriter()
        .addFloats("attn0", new long[] {1, 1, 2, 3}, new float[] {0, 1, 2, 3, 4, 5})
        .write(p);
    assertArrayEquals(StBytes.bytes(expected), StBytes.read(p));
    try (SafetensorsFile f = SafetensorsFile.open(p)) {
      assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, f.readFloats("attn0"));
    }
  }

  @Test
  void writerMatchesReferenceBytesForEmptyFiles() {
    Path empty = dir.resolve("empty.safetensors");
    new SafetensorsWriter().write(empty);
    assertArrayEquals(
        StBytes.bytes(8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32),
        StBytes.read(empty));

    Path meta = dir.resolve("meta.safetensors");
    new SafetensorsWriter().metadata("framework", "pt").write(meta);
    int[] expected = {
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58,
      123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112, 116, 34, 125, 125, 32,
      32, 32, 32, 32
    };
    assertArrayEquals(StBytes.bytes(expected), StBytes.read(meta));
    try (SafetensorsFile f = SafetensorsFile.open(meta)) {
      assertEquals(Map.of("framework", "pt"), f.metadata());
      assertEquals(List.of(), f.tensors());
    }
  }
}
