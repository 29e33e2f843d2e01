package org.mmmamba.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.BadInputException;

/**
 * Offsets and sizes beyond 2 GiB, on a sparse file: the header declares a 2 GiB tensor that is a
 * hole (never written, never read, so it takes no disk space) followed by a small tensor that is
 * written past the 2 GiB mark. Reading the small tensor maps at a real offset > 2^31; the big one
 * must give clear errors on the array paths instead of overflowing.
 */
class LargeOffsetTest {
  @TempDir Path dir;

  @Test
  void readsPast2GiBAndRefusesArraysTooBigForJava() throws IOException {
    // On a file system without sparse files the hole would really be allocated: only run with room.
    Assumptions.assumeTrue(Files.getFileStore(dir).getUsableSpace() > (8L << 30), "no room");
    long big = (1L << 31) + 16; // U8 elements: more than a Java array or a ByteBuffer holds
    long tail = big + 100; // a gap, then the small tensor
    String header =
        "{\"big\":{\"dtype\":\"U8\",\"shape\":["
            + big
            + "],\"data_offsets\":[0,"
            + big
            + "]},"
            + "\"tail\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":["
            + tail
            + ","
            + (tail + 12)
            + "]}}";
    byte[] head = StBytes.file(header, new byte[0]);
    Path p = dir.resolve("sparse.safetensors");
    try (FileChannel ch =
        FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(head), 0);
      ch.write(ByteBuffer.wrap(StBytes.f32(1.5f, -2f, 3f)), head.length + tail);
    }
    try (SafetensorsFile f = SafetensorsFile.open(p)) {
      assertEquals(big, f.info("big").numel());
      assertArrayEquals(new float[] {1.5f, -2f, 3f}, f.readFloats("tail"));
      assertArrayEquals(new double[] {1.5, -2, 3}, f.readDoubles("tail"));
      assertEquals(-2f, f.raw("tail").getFloat(4));

      BadInputException e = assertThrows(BadInputException.class, () -> f.readFloats("big"));
      assertTrue(e.getMessage().contains("'big'"), e.getMessage());
      assertTrue(e.getMessage().contains("readFloatsInto"), e.getMessage());
      assertThrows(BadInputException.class, () -> f.readDoubles("big"));
      assertThrows(BadInputException.class, () -> f.readLongs("big"));
      assertThrows(BadInputException.class, () -> f.raw("big"));
      assertThrows(
          IllegalArgumentException.class, () -> f.readFloatsInto("big", FloatBuffer.allocate(4)));
    }
    try (SafetensorsFile f = SafetensorsFile.open(p, 8)) {
      assertArrayEquals(new float[] {1.5f, -2f, 3f}, f.readFloats("tail"));
    }
  }
}
