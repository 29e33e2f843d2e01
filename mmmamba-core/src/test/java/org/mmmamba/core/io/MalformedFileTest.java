package org.mmmamba.core.io;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mmmamba.core.BadInputException;

/**
 * Every kind of broken file is refused at {@link SafetensorsFile#open} with a one-line {@link
 * BadInputException} naming the file, and the tensor where one is at fault.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class MalformedFileTest {
  @TempDir Path dir;

  private static final byte[] DATA = StBytes.f32(1, 2, 3, 4);

  private static String entry(String name, String dtype, String shape, String offsets) {
    return "\""
        + name
        + "\":{\"dtype\":\""
        + dtype
        + "\",\"shape\":"
        + shape
        + ",\"data_offsets\":"
        + offsets
        + "}";
  }

  /** name of the case, file bytes, the tensor the message must name (or null). */
  static Stream<Arguments> badHeaders() {
    String ok = entry("ok", "F32", "[2]", "[0,8]");
    return Stream.of(
        Arguments.of("bad JSON", "{\"w\":{\"dtype\":\"F32\",", null),
        Arguments.of("trailing garbage", "{}}", null),
        Arguments.of("not an object", "[1,2]", null),
        Arguments.of("duplicate key", "{" + ok + "," + ok + "}", null),
        Arguments.of("entry not an object", "{\"w\":3}", "w"),
        Arguments.of("unknown dtype", "{" + entry("w", "F8_E4M3", "[4]", "[0,4]") + "}", "w"),
        Arguments.of(
            "dtype not a string",
            "{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}",
            "w"),
        Arguments.of("missing dtype", "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", "w"),
        Arguments.of("missing shape", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", "w"),
        Arguments.of("missing offsets", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", "w"),
        Arguments.of("shape not an array", "{" + entry("w", "F32", "4", "[0,16]") + "}", "w"),
        Arguments.of("negative dim", "{" + entry("w", "F32", "[-1,4]", "[0,16]") + "}", "w"),
        Arguments.of("fractional dim", "{" + entry("w", "F32", "[2.0]", "[0,8]") + "}", "w"),
        Arguments.of(
            "huge dim", "{" + entry("w", "F32", "[99999999999999999999999]", "[0,8]") + "}", "w"),
        Arguments.of(
            "shape overflow",
            "{" + entry("w", "F64", "[4294967296,4294967296]", "[0,8]") + "}",
            "w"),
        Arguments.of("shape x dtype != bytes", "{" + entry("w", "F32", "[3]", "[0,16]") + "}", "w"),
        Arguments.of("one offset", "{" + entry("w", "F32", "[1]", "[0]") + "}", "w"),
        Arguments.of("negative offset", "{" + entry("w", "F32", "[1]", "[-4,0]") + "}", "w"),
        Arguments.of("inverted offsets", "{" + entry("w", "F32", "[0]", "[8,4]") + "}", "w"),
        Arguments.of("offsets past data", "{" + entry("w", "F32", "[4]", "[8,24]") + "}", "w"),
        Arguments.of(
            "offsets past data, huge",
            "{" + entry("w", "U8", "[1]", "[9223372036854775806,9223372036854775807]") + "}",
            "w"),
        Arguments.of(
            "overlapping ranges",
            "{"
                + entry("a", "F32", "[2]", "[0,8]")
                + ","
                + entry("b", "F32", "[2]", "[4,12]")
                + "}",
            "b"),
        Arguments.of("metadata not an object", "{\"__metadata__\":[1]}", null),
        Arguments.of("metadata value not a string", "{\"__metadata__\":{\"k\":1}}", "k"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badHeaders")
  void badHeaderIsRefusedNamingFileAndTensor(String what, String header, String tensor) {
    Path p = StBytes.write(dir, "bad.safetensors", StBytes.file(header, DATA));
    assertRefused(p, tensor);
  }

  @Test
  void headerLengthBelowTwo() {
    byte[] one = StBytes.concat(StBytes.le64(1), "{".getBytes(StandardCharsets.UTF_8));
    assertRefused(StBytes.write(dir, "h1.safetensors", one), null);
    assertRefused(StBytes.write(dir, "h0.safetensors", StBytes.le64(0)), null);
  }

  @Test
  void headerLengthAboveTheCap() {
    byte[] f = StBytes.concat(StBytes.le64(100_000_001L), new byte[16]);
    assertRefused(StBytes.write(dir, "big.safetensors", f), null);
  }

  @Test
  void headerLengthWithTheTopBitSet() {
    byte[] f = StBytes.concat(StBytes.le64(-8L), new byte[16]); // 2^64 - 8 as unsigned
    assertRefused(StBytes.write(dir, "neg.safetensors", f), null);
  }

  @Test
  void headerLongerThanTheFile() {
    byte[] f = StBytes.concat(StBytes.le64(1000), "{}".getBytes(StandardCharsets.UTF_8));
    assertRefused(StBytes.write(dir, "short.safetensors", f), null);
  }

  @Test
  void fileShorterThanTheLengthField() {
    assertRefused(StBytes.write(dir, "tiny.safetensors", new byte[] {2, 0, 0}), null);
    assertRefused(StBytes.write(dir, "zero.safetensors", new byte[0]), null);
  }

  @Test
  void headerNotUtf8() {
    byte[] header = {'{', '"', (byte) 0xff, '"', ':', '1', '}', ' '};
    assertRefused(
        StBytes.write(dir, "utf.safetensors", StBytes.concat(StBytes.le64(8), header)), null);
  }

  @Test
  void truncatedData() {
    byte[] whole =
        StBytes.file("{" + entry("w", "F32", "[4]", "[0,16]") + "}", StBytes.f32(1, 2, 3, 4));
    byte[] cut = Arrays.copyOf(whole, whole.length - 3);
    assertRefused(StBytes.write(dir, "cut.safetensors", cut), "w");
  }

  @Test
  void missingFileAndDirectory() {
    assertRefused(dir.resolve("nope.safetensors"), null);
    assertRefused(dir, null);
  }

  @Test
  void hostileNameStaysOnOneLine() {
    String header = "{\"line1\\nline2\":{\"dtype\":\"F32\",\"shape\":[9],\"data_offsets\":[0,4]}}";
    Path p = StBytes.write(dir, "nl.safetensors", StBytes.file(header, DATA));
    BadInputException e = assertThrows(BadInputException.class, () -> SafetensorsFile.open(p));
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    assertTrue(e.getMessage().contains("line1\\u000aline2"), e.getMessage());
  }

  private static void assertRefused(Path p, String tensor) {
    BadInputException e =
        assertThrows(BadInputException.class, () -> SafetensorsFile.open(p).close(), p.toString());
    String m = e.getMessage();
    assertTrue(m.contains(p.getFileName().toString()), "message must name the file: " + m);
    assertFalse(m.contains("\n"), "message must be one line: " + m);
    if (tensor != null) {
      assertTrue(m.contains("'" + tensor + "'"), "message must name '" + tensor + "': " + m);
    }
  }
}
