package org.mmmamba.distill.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorBoardWriterTest {
  @TempDir Path tmp;

  @Test
  void scalarsRoundTripThroughAnIndependentReader() throws IOException {
    Path dir = tmp.resolve("tb/stage1");
    long before = System.currentTimeMillis();
    try (TensorBoardWriter w = TensorBoardWriter.open(dir, 0)) {
      Map<String, Double> v = new LinkedHashMap<>();
      v.put("train/loss", 0.125);
      v.put("train/lr", 1e-3);
      v.put("train/grad_norm", Double.NaN);
      w.scalars(1, v);
      w.scalar("train/loss", 300, 0.0625);
      w.scalar("eval/exact_match", 1L << 40, -2.5);
    }
    List<TfEvents.Event> ev = TfEvents.readDir(dir);
    assertEquals(4, ev.size());
    assertEquals("brain.Event:2", ev.get(0).fileVersion());
    assertTrue(Math.abs(ev.get(0).wallTime() * 1000 - before) < 60_000, "wall time is the clock's");
    assertEquals(1, ev.get(1).step());
    assertEquals(0.125f, ev.get(1).scalars().get("train/loss"));
    assertEquals(1e-3f, ev.get(1).scalars().get("train/lr"));
    assertTrue(Float.isNaN(ev.get(1).scalars().get("train/grad_norm")));
    assertEquals(300, ev.get(2).step());
    assertEquals(Map.of("train/loss", 0.0625f), ev.get(2).scalars());
    assertEquals(1L << 40, ev.get(3).step());
    assertEquals(-2.5f, ev.get(3).scalars().get("eval/exact_match"));
  }

  @Test
  void aResumedFileStartsWithASessionStartAtTheResumeStep() throws IOException {
    Path dir = tmp.resolve("tb");
    try (TensorBoardWriter w = TensorBoardWriter.open(dir, 0)) {
      w.scalar("train/loss", 1, 1);
    }
    try (TensorBoardWriter w = TensorBoardWriter.open(dir, 200)) {
      w.scalar("train/loss", 201, 2);
    }
    List<TfEvents.Event> ev = TfEvents.readDir(dir);
    assertEquals(5, ev.size(), "two files, each with its header");
    TfEvents.Event start =
        ev.stream().filter(e -> e.sessionStatus() != null).findFirst().orElseThrow();
    assertEquals(1, start.sessionStatus());
    assertEquals(
        201,
        start.step(),
        "TensorBoard purges points at or after this step: those past the checkpoint");
    assertNull(ev.get(0).sessionStatus());
  }

  @Test
  void theReaderRejectsACorruptedRecord() throws IOException {
    Path dir = tmp.resolve("tb");
    Path f;
    try (TensorBoardWriter w = TensorBoardWriter.open(dir, 0)) {
      w.scalar("train/loss", 7, 0.5f);
      f = w.file();
    }
    byte[] b = Files.readAllBytes(f);
    int at = new String(b, StandardCharsets.ISO_8859_1).indexOf("train/loss");
    b[at] ^= 1;
    Files.write(f, b);
    assertThrows(IOException.class, () -> TfEvents.read(f));
  }

  @Test
  void crc32cMatchesTheKnownCheckValue() {
    // The CRC-32C check value of "123456789" (RFC 3720 / the Castagnoli catalogue).
    byte[] b = "123456789".getBytes(StandardCharsets.US_ASCII);
    assertEquals(0xE3069283, TfEvents.crc32c(b, 0, b.length));
    assertEquals(
        TfEvents.masked(TfEvents.crc32c(b, 0, b.length)),
        TensorBoardWriter.maskedCrc(b, 0, b.length));
  }
}
