package org.mmmamba.core.io;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.regex.MatchResult;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;
import org.mmmamba.core.BadInputException;

/**
 * Fuzzing a valid file three ways, combined at random: structure-aware edits of the header's
 * numbers and dtypes (the header length is fixed up, so these reach the validation of shapes and
 * offsets rather than failing as bad JSON), random byte mutations biased towards bytes that matter
 * in JSON and in the length field, and truncation. Opening it and reading every tensor every way
 * must either work or throw {@link BadInputException}: no other exception, no hang, no huge
 * allocation.
 */
class CorruptionPropertyTest {
  private static Path dir;
  private static byte[] valid;

  @BeforeContainer
  static void makeValidFile() throws IOException {
    dir = Files.createTempDirectory("st-fuzz");
    Path p = dir.resolve("valid.safetensors");
    new SafetensorsWriter()
        .metadata("format", "pt")
        .addFloats("a", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6})
        .addFloatsAsBf16("b", new long[] {3}, new float[] {1, -2, 3})
        .addFloatsAsF16("c", new long[] {2}, new float[] {0.5f, 7})
        .addDoubles("d", new long[] {1}, new double[] {9})
        .addLongs("e", new long[] {2}, new long[] {-1, 1})
        .add("f", Dtype.U8, new long[] {3}, StBytes.buf(StBytes.bytes(1, 2, 3)))
        .write(p);
    valid = Files.readAllBytes(p);
  }

  @AfterContainer
  static void cleanUp() throws IOException {
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
    }
    Files.deleteIfExists(dir);
  }

  /** One mutation: put {@code value} at {@code position} (modulo the file length). */
  record Mutation(int position, byte value) {}

  @Provide
  Arbitrary<List<Mutation>> mutations() {
    Arbitrary<Integer> position =
        Arbitraries.oneOf(
            Arbitraries.integers().between(0, 7), // the length field
            Arbitraries.integers().between(8, 400), // mostly header
            Arbitraries.integers().between(0, Integer.MAX_VALUE)); // anywhere
    Arbitrary<Byte> value =
        Arbitraries.oneOf(
            Arbitraries.of("0123456789-.e\"{}[],: ".chars().boxed().toList())
                .map(c -> (byte) (int) c),
            Arbitraries.of((byte) 0, (byte) 0x7f, (byte) 0x80, (byte) 0xff),
            Arbitraries.bytes());
    // Half the tries without byte mutations, so the other kinds of damage get through to the reads.
    return Arbitraries.oneOf(
        Arbitraries.just(List.of()),
        Combinators.combine(position, value).as(Mutation::new).list().ofMinSize(1).ofMaxSize(4));
  }

  /** Replace the {@code which}-th number or dtype token of the header (modulo their count). */
  record TokenEdit(int which, String replacement) {}

  private static final Pattern TOKEN = Pattern.compile("-?\\d+|\"(?:F64|F32|F16|BF16|I64|U8)\"");

  @Provide
  Arbitrary<List<TokenEdit>> tokenEdits() {
    Arbitrary<String> number =
        Arbitraries.oneOf(
            Arbitraries.of(
                "0",
                "1",
                "2",
                "3",
                "4",
                "7",
                "8",
                "9",
                "16",
                "23",
                "24",
                "25",
                "-1",
                "2147483647",
                "2147483648",
                "4294967296",
                "9223372036854775807",
                "9223372036854775808",
                "18446744073709551616",
                "1e3",
                "2.5"),
            Arbitraries.longs().map(String::valueOf));
    Arbitrary<String> dtype =
        Arbitraries.of("F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL", "X")
            .map(d -> "\"" + d + "\"");
    Arbitrary<String> replacement = Arbitraries.oneOf(number, dtype);
    return Combinators.combine(Arbitraries.integers().between(0, 1000), replacement)
        .as(TokenEdit::new)
        .list()
        .ofMinSize(0)
        .ofMaxSize(3);
  }

  @Property(tries = 1000)
  void corruptFilesOpenOrFailWithBadInput(
      @ForAll("tokenEdits") List<TokenEdit> edits,
      @ForAll("mutations") List<Mutation> mutations,
      @ForAll @IntRange(min = 0, max = 3) int truncateIfZero,
      @ForAll("fraction") double keep) {
    byte[] bytes = applyTokenEdits(edits);
    for (Mutation m : mutations) {
      bytes[m.position() % bytes.length] = m.value();
    }
    if (truncateIfZero == 0) {
      bytes = Arrays.copyOf(bytes, (int) (bytes.length * keep));
    }
    Path p = dir.resolve("fuzz.safetensors");
    try {
      Files.write(p, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // Any other exception, or running past the timeout, fails the property.
    String outcome =
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> openAndReadEverything(p));
    Statistics.label("outcome").collect(outcome);
  }

  @Provide
  Arbitrary<Double> fraction() {
    return Arbitraries.doubles().between(0, 1);
  }

  /** The valid file with header tokens replaced and its length field updated to match. */
  private static byte[] applyTokenEdits(List<TokenEdit> edits) {
    if (edits.isEmpty()) {
      return valid.clone();
    }
    int n = (int) ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    String header = new String(valid, 8, n, StandardCharsets.UTF_8);
    for (TokenEdit e : edits) {
      List<MatchResult> tokens = TOKEN.matcher(header).results().toList();
      MatchResult t = tokens.get(e.which() % tokens.size());
      header = header.substring(0, t.start()) + e.replacement() + header.substring(t.end());
    }
    byte[] data = Arrays.copyOfRange(valid, 8 + n, valid.length);
    return StBytes.file(header, data);
  }

  /** Returns "read" or "refused", for the statistics. */
  private static String openAndReadEverything(Path p) {
    try (SafetensorsFile f = SafetensorsFile.open(p)) {
      for (TensorInfo t : f.tensors()) {
        f.readFloats(t.name());
        f.readDoubles(t.name());
        if (!t.dtype().isFloat()) {
          f.readLongs(t.name());
        }
        f.raw(t.name());
      }
      return "read";
    } catch (BadInputException expected) {
      return "refused"; // the only acceptable failure
    }
  }
}
