package org.mmmamba.app.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;
import org.mmmamba.core.BadInputException;
import org.mmmamba.distill.data.BrokenSamplePolicy;
import org.mmmamba.distill.data.DatasetStats;
import org.mmmamba.distill.data.LlavaDataset;

/**
 * Mutated LLaVA JSON Lines (character edits, structure-aware replacement of any value by a hostile
 * one, truncation) read by {@link LlavaDataset}: with SKIP every line is counted exactly once as ok
 * or broken; with FAIL every read returns a sample or throws {@link BadInputException} naming the
 * file and line. No other exception, no hang.
 */
class DatasetFuzzTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final List<String> GOOD =
      List.of(
          "{\"id\": \"ok-1\", \"image\": \"images/red.png\", \"conversations\": [{\"from\": \"human\", \"value\": "
              + "\"<image>\\nwhat color ?\"}, {\"from\": \"gpt\", \"value\": \"red\"}]}",
          "{\"id\": \"text\", \"conversations\": [{\"from\": \"system\", \"value\": \"be brief\"}, {\"from\": \"human\", "
              + "\"value\": \"hello\"}, {\"from\": \"gpt\", \"value\": \"hi\"}]}",
          "{\"id\": 7, \"image\": \"images/wide.png\", \"conversations\": [{\"from\": \"human\", \"value\": \"what ?\"}, "
              + "{\"from\": \"gpt\", \"value\": \"blue\"}], \"question_type\": \"color\"}");

  static Path root;

  @BeforeContainer
  static void images() throws Exception {
    root = Files.createTempDirectory("llava-fuzz");
    Files.createDirectories(root.resolve("images"));
    for (String img : List.of("red.png", "wide.png", "corrupt.png")) {
      // A stream, not a path: the test data comes from mmmamba-distill's test jar.
      try (java.io.InputStream in =
          Objects.requireNonNull(
              DatasetFuzzTest.class.getResourceAsStream("/data/images/" + img))) {
        Files.copy(in, root.resolve("images").resolve(img));
      }
    }
  }

  @AfterContainer
  static void cleanUp() {
    Fx.deleteQuietly(root);
  }

  /**
   * Replace the {@code which}-th node (depth-first, modulo the count) of a line's JSON by raw JSON
   * {@code value}.
   */
  record NodeEdit(int which, String value) {
    @Override
    public String toString() {
      return "NodeEdit["
          + which
          + ", "
          + (value.length() > 60 ? value.substring(0, 60) + "..." : value)
          + "]";
    }
  }

  /** Character edit of the serialised line. */
  record CharEdit(int pos, int delete, String insert) {}

  @Provide
  Arbitrary<String> hostile() {
    return Arbitraries.of(
        "null",
        "3",
        "-1.5e308",
        "1e999999",
        "true",
        "[]",
        "{}",
        "\"\"",
        "\"\\u0000\"",
        "\"images/\\u0000.png\"",
        "\"../../../../etc/passwd\"",
        "\"/dev/zero\"",
        "\"/proc/self\"",
        "\"images/\"",
        "\"images/corrupt.png\"",
        "\"<image><image>\"",
        "\"<image>\"",
        "\"human\"",
        "\"gpt\"",
        "\"robot\"",
        "\"" + "x".repeat(100_000) + "\"",
        "\"\\ud800\"",
        "\"C:\\\\images\\\\a.png\"",
        "[".repeat(2000) + "]".repeat(2000),
        "{\"from\": \"human\"}",
        "[{\"from\": \"gpt\", \"value\": \"a\"}]",
        "{\"a\": 1, \"a\": 2}",
        "123456789012345678901234567890");
  }

  @Provide
  Arbitrary<List<NodeEdit>> nodeEdits() {
    return Combinators.combine(Arbitraries.integers().between(0, 1000), hostile())
        .as(NodeEdit::new)
        .list()
        .ofMaxSize(3);
  }

  @Provide
  Arbitrary<List<CharEdit>> charEdits() {
    Arbitrary<String> insert =
        Arbitraries.oneOf(
            Arbitraries.of(
                "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud800", "\n", "\r", "\t",
                "\uFEFF", "\u0000", "null", "1e99999", "-", "0x", " ", ""),
            Arbitraries.strings().ofMaxLength(4));
    return Combinators.combine(
            Arbitraries.integers().between(0, 10_000), Arbitraries.integers().between(0, 8), insert)
        .as(CharEdit::new)
        .list()
        .ofMaxSize(3);
  }

  @Property(tries = 300)
  void mutatedLinesAreCountedOrRefusedCleanly(
      @ForAll("nodeEdits") List<NodeEdit> nodes,
      @ForAll("charEdits") List<CharEdit> chars,
      @ForAll("lineChoice") int pick,
      @ForAll("cut") int cut)
      throws Exception {
    String line = mutate(GOOD.get(pick % GOOD.size()), nodes, chars, cut);
    List<String> lines = new ArrayList<>(GOOD);
    lines.add(1, line);
    Path file = root.resolve("fuzz.jsonl");
    Files.write(file, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    String outcome =
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> check(file, GOOD.size()));
    Statistics.label("mutated line").collect(outcome);
  }

  /** "ok" or "broken" for the mutated line. */
  static String check(Path file, int goodLines) {
    long size;
    DatasetStats s;
    try (LlavaDataset d = LlavaDataset.open(file, root, BrokenSamplePolicy.SKIP)) {
      size = d.size();
      long read = d.stream().count();
      s = d.stats();
      assertEquals(size, s.seen(), "every entry counted once: " + s);
      assertEquals(read, s.ok(), s.toString());
    }
    assertTrue(s.ok() >= goodLines, "good lines lost: " + s);
    try (LlavaDataset d = LlavaDataset.open(file, root, BrokenSamplePolicy.FAIL)) {
      for (int i = 0; i < d.size(); i++) {
        try {
          d.read(i);
        } catch (BadInputException e) {
          assertFalse(e.getMessage().contains("\n"), "not one line: " + e.getMessage());
          assertTrue(e.getMessage().contains("fuzz.jsonl line "), e.getMessage());
        }
      }
    }
    return s.ok() == size ? "ok" : "broken";
  }

  /** Every hostile value in every field of the first line, once (what random tries may miss). */
  @Example
  void everyHostileValueInEveryField() throws Exception {
    List<String> values = hostile().allValues().orElseThrow().toList();
    int slots = slots(GOOD.get(0));
    for (int which = 0; which < slots; which++) {
      for (String v : values) {
        String line = mutate(GOOD.get(0), List.of(new NodeEdit(which, v)), List.of(), -1);
        Path file = root.resolve("fuzz.jsonl");
        Files.write(file, (GOOD.get(1) + "\n" + line + "\n").getBytes(StandardCharsets.UTF_8));
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> check(file, 1), line);
      }
    }
  }

  static int slots(String line) throws IOException {
    List<Object[]> out = new ArrayList<>();
    collect(JSON.readTree(line), out);
    return out.size();
  }

  @Provide
  Arbitrary<Integer> lineChoice() {
    return Arbitraries.integers().between(0, 2);
  }

  @Provide
  Arbitrary<Integer> cut() {
    return Arbitraries.oneOf(
        Arbitraries.just(-1), Arbitraries.just(-1), Arbitraries.integers().between(0, 400));
  }

  static String mutate(String line, List<NodeEdit> nodes, List<CharEdit> chars, int cut)
      throws IOException {
    String s = line;
    if (!nodes.isEmpty()) {
      JsonNode root = JSON.readTree(line);
      List<String> marks = new ArrayList<>();
      for (NodeEdit e : nodes) {
        List<Object[]> slots = new ArrayList<>();
        collect(root, slots);
        if (slots.isEmpty()) {
          break;
        }
        Object[] slot = slots.get(e.which() % slots.size());
        String mark = "@@" + marks.size() + "@@";
        marks.add(e.value());
        if (slot[0] instanceof ObjectNode o) {
          o.put((String) slot[1], mark);
        } else {
          ((ArrayNode) slot[0]).set((Integer) slot[1], JsonNodeFactory.instance.textNode(mark));
        }
      }
      s = JSON.writeValueAsString(root);
      for (int i = 0; i < marks.size(); i++) {
        s =
            s.replace(
                "\"@@" + i + "@@\"", marks.get(i)); // a replaced node's marker may be gone: no-op
      }
    }
    for (CharEdit e : chars) {
      int p = s.isEmpty() ? 0 : Math.floorMod(e.pos(), s.length());
      s = s.substring(0, p) + e.insert() + s.substring(Math.min(s.length(), p + e.delete()));
    }
    if (cut >= 0) {
      s = s.substring(0, Math.min(s.length(), cut));
    }
    return s.isBlank()
        ? "x"
        : s; // a blank line is skipped by the index, which would shift the counts
  }

  /** (container, key or index) of every value below {@code n}. */
  static void collect(JsonNode n, List<Object[]> out) {
    if (n instanceof ObjectNode o) {
      o.fieldNames()
          .forEachRemaining(
              k -> {
                out.add(new Object[] {o, k});
                collect(o.get(k), out);
              });
    } else if (n instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        out.add(new Object[] {a, i});
        collect(a.get(i), out);
      }
    }
  }
}
