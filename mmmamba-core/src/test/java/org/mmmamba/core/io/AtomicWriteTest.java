package org.mmmamba.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A failed write leaves the old file exactly as it was and no temp file behind. */
class AtomicWriteTest {
  @TempDir Path dir;

  private Path existing() {
    Path p = dir.resolve("model.safetensors");
    new SafetensorsWriter().addFloats("old", new long[] {2}, new float[] {1, 2}).write(p);
    return p;
  }

  private List<String> listing() throws IOException {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void failingSupplierLeavesTargetUntouched() throws IOException {
    Path p = existing();
    byte[] before = StBytes.read(p);
    SafetensorsWriter w =
        new SafetensorsWriter()
            .addFloats("first", new long[] {1}, new float[] {3})
            .add(
                "boom",
                Dtype.F32,
                new long[] {4},
                () -> {
                  throw new IllegalStateException("supplier failed");
                });
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.write(p));
    assertEquals("supplier failed", e.getMessage());
    assertArrayEquals(before, StBytes.read(p));
    assertEquals(List.of("model.safetensors"), listing());
  }

  @Test
  void supplierOfTheWrongSizeLeavesTargetUntouched() throws IOException {
    Path p = existing();
    byte[] before = StBytes.read(p);
    SafetensorsWriter w =
        new SafetensorsWriter()
            .add("short", Dtype.F32, new long[] {4}, () -> ByteBuffer.allocate(12));
    assertThrows(IllegalArgumentException.class, () -> w.write(p));
    assertArrayEquals(before, StBytes.read(p));
    assertEquals(List.of("model.safetensors"), listing());
  }

  @Test
  void parentThatIsAFileFailsCleanly() throws IOException {
    Path notADir = Files.writeString(dir.resolve("plain.txt"), "x");
    SafetensorsWriter w = new SafetensorsWriter().addFloats("a", new long[] {1}, new float[] {1});
    assertThrows(UncheckedIOException.class, () -> w.write(notADir.resolve("model.safetensors")));
    assertEquals("x", Files.readString(notADir));
  }

  @Test
  void unwritableDirectoryFailsAndLeavesTargetUntouched() throws IOException {
    Path p = existing();
    byte[] before = StBytes.read(p);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
    try {
      // Root ignores directory permissions; then this case cannot be staged here.
      Assumptions.assumeFalse(Files.isWritable(dir), "running as root: permissions not enforced");
      SafetensorsWriter w = new SafetensorsWriter().addFloats("a", new long[] {1}, new float[] {1});
      assertThrows(UncheckedIOException.class, () -> w.write(p));
      assertArrayEquals(before, StBytes.read(p));
    } finally {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
  }

  @Test
  void targetThatIsADirectoryFailsAndLeavesNoTempFile() throws IOException {
    Path target = Files.createDirectory(dir.resolve("model.safetensors"));
    Files.writeString(target.resolve("keep.txt"), "keep");
    SafetensorsWriter w = new SafetensorsWriter().addFloats("a", new long[] {1}, new float[] {1});
    assertThrows(UncheckedIOException.class, () -> w.write(target));
    assertEquals("keep", Files.readString(target.resolve("keep.txt")));
    assertEquals(List.of("model.safetensors"), listing());
  }

  @Test
  void successfulWriteReplacesTheTargetAndLeavesNoTempFile() throws IOException {
    Path p = existing();
    new SafetensorsWriter().addFloats("new", new long[] {1}, new float[] {9}).write(p);
    try (SafetensorsFile f = SafetensorsFile.open(p)) {
      assertFalse(f.contains("old"));
      assertArrayEquals(new float[] {9}, f.readFloats("new"));
    }
    assertEquals(List.of("model.safetensors"), listing());
  }

  @Test
  void relativeTargetWorks() throws IOException {
    // Relative paths resolve against the working directory (the module; target/ is ignored by git).
    Path rel = Path.of("target", "io-atomic-relative-test.safetensors");
    Files.createDirectories(rel.getParent());
    try {
      new SafetensorsWriter().addFloats("a", new long[] {1}, new float[] {1}).write(rel);
      try (SafetensorsFile f = SafetensorsFile.open(rel)) {
        assertArrayEquals(new float[] {1}, f.readFloats("a"));
      }
    } finally {
      Files.deleteIfExists(rel);
    }
  }

  @Test
  void tempFilesOfAKilledWriteAreRemovedByTheNextWriteOfTheSameTarget() throws IOException {
    // What a kill -9 during a write leaves: a temp file named after the target.
    Files.writeString(dir.resolve(".latest.3f2a9c1b00d4e5f6.tmp"), "torn");
    Files.writeString(dir.resolve(".other.3f2a9c1b00d4e5f6.tmp"), "another target's: kept");
    Files.writeString(dir.resolve(".latest.notmine.tmp"), "not our name pattern: kept");
    AtomicText.writeString(dir.resolve("latest"), "ckpt-2\n");
    assertEquals(
        List.of(".latest.notmine.tmp", ".other.3f2a9c1b00d4e5f6.tmp", "latest"), listing());
    assertEquals("ckpt-2\n", Files.readString(dir.resolve("latest")));
  }
}
