package org.mmmamba.distill.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.text.ChatMessage;
import org.mmmamba.core.text.Role;

class LlavaDatasetTest {

  @Test
  void jsonLinesBrokenSamplesAreCountedPerReason() {
    Path file = TestData.resource("broken.jsonl");
    try (LlavaDataset d = LlavaDataset.open(file, TestData.root(), BrokenSamplePolicy.SKIP)) {
      assertEquals(11, d.size()); // 12 lines, one blank
      List<Sample> ok = d.stream().collect(Collectors.toList());
      assertEquals(
          List.of("ok-1", "text-only", "no-placeholder", "corrupt-image"),
          ok.stream().map(Sample::id).collect(Collectors.toList()));
      DatasetStats s = d.stats();
      assertEquals(4, s.ok());
      assertEquals(1, s.broken(BrokenReason.MISSING_IMAGE));
      assertEquals(2, s.broken(BrokenReason.BAD_JSON));
      assertEquals(2, s.broken(BrokenReason.MISSING_FIELD));
      assertEquals(2, s.broken(BrokenReason.BAD_CONVERSATION));
      assertEquals(0, s.broken(BrokenReason.UNREADABLE_IMAGE));
      assertEquals(11, s.seen());
      assertTrue(s.report().contains("bad_json 2"), s.report());
    }
  }

  @Test
  void samplesAreParsedFaithfully() {
    try (LlavaDataset d =
        LlavaDataset.open(
            TestData.resource("broken.jsonl"), TestData.root(), BrokenSamplePolicy.SKIP)) {
      Sample first = d.read(0).orElseThrow();
      assertEquals(TestData.root().resolve("images/red.png"), first.image());
      assertEquals("<image>\nwhat color ?", first.conversations().get(0).value());
      assertTrue(first.origin().endsWith("broken.jsonl line 1"), first.origin());

      Sample text = d.read(3).orElseThrow(); // line 5
      assertNull(text.image());
      assertEquals(4, text.conversations().size());
      assertEquals(
          List.of(
              ChatMessage.user("hello"),
              ChatMessage.assistant("hi"),
              ChatMessage.user("again ?"),
              ChatMessage.assistant("hi again")),
          text.messages());

      Sample noPlaceholder = d.read(7).orElseThrow(); // line 9: <image> gets prepended
      assertEquals("<image>\nwhat color ?", noPlaceholder.conversations().get(0).value());
      assertEquals("color", noPlaceholder.questionType());
    }
  }

  @Test
  void failPolicyNamesFileAndLine() {
    try (LlavaDataset d =
        LlavaDataset.open(
            TestData.resource("broken.jsonl"), TestData.root(), BrokenSamplePolicy.FAIL)) {
      assertTrue(d.read(0).isPresent());
      BadInputException e = assertThrows(BadInputException.class, () -> d.read(1));
      assertTrue(e.getMessage().contains("broken.jsonl line 3"), e.getMessage());
      assertTrue(e.getMessage().contains("missing.png"), e.getMessage());
      e = assertThrows(BadInputException.class, () -> d.read(2));
      assertTrue(e.getMessage().contains("broken.jsonl line 4: bad JSON"), e.getMessage());
      assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
      e = assertThrows(BadInputException.class, () -> d.stream().count());
      assertTrue(e.getMessage().contains("line 3"), e.getMessage());
    }
  }

  @Test
  void jsonArrayIsIndexedAndBrokenElementsCounted() {
    Path file = TestData.resource("mixed.json");
    try (LlavaDataset d = LlavaDataset.open(file, TestData.root(), BrokenSamplePolicy.SKIP)) {
      assertEquals(6, d.size());
      List<Sample> ok = d.stream().collect(Collectors.toList());
      assertEquals(
          List.of("a", "b", "7"), ok.stream().map(Sample::id).collect(Collectors.toList()));
      assertEquals(Role.SYSTEM, ok.get(2).messages().get(0).role());
      DatasetStats s = d.stats();
      assertEquals(1, s.broken(BrokenReason.MISSING_IMAGE));
      assertEquals(1, s.broken(BrokenReason.MISSING_FIELD));
      assertEquals(1, s.broken(BrokenReason.BAD_JSON));
      // random access in any order gives the same samples
      assertEquals("7", d.read(5).orElseThrow().id());
      assertEquals("a", d.read(0).orElseThrow().id());
    }
  }

  @Test
  void jsonArrayFailPolicyNamesTheIndex() {
    try (LlavaDataset d =
        LlavaDataset.open(
            TestData.resource("mixed.json"), TestData.root(), BrokenSamplePolicy.FAIL)) {
      BadInputException e = assertThrows(BadInputException.class, () -> d.read(3));
      assertTrue(e.getMessage().contains("mixed.json sample 3 (line 7)"), e.getMessage());
    }
  }

  @Test
  void brokenArrayCannotBeSkipped() {
    BadInputException e =
        assertThrows(
            BadInputException.class,
            () ->
                LlavaDataset.open(
                    TestData.resource("truncated.json"), TestData.root(), BrokenSamplePolicy.SKIP));
    assertTrue(e.getMessage().contains("truncated.json line"), e.getMessage());
  }

  @Test
  void missingFileIsBadInput(@TempDir Path dir) {
    BadInputException e =
        assertThrows(
            BadInputException.class,
            () -> LlavaDataset.open(dir.resolve("x.jsonl"), dir, BrokenSamplePolicy.SKIP));
    assertTrue(e.getMessage().contains("x.jsonl"), e.getMessage());
  }

  @Test
  void scanCountsWithoutKeepingSamples() {
    DatasetStats s = LlavaDataset.scan(TestData.resource("broken.jsonl"), TestData.root());
    assertEquals(4, s.ok());
    assertEquals(7, s.brokenTotal());
  }

  @Test
  void largeJsonLinesFileStreamsInShuffledOrder(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("big.jsonl");
    StringBuilder sb = new StringBuilder();
    int n = 5000;
    for (int i = 0; i < n; i++) {
      sb.append("{\"id\": \"s")
          .append(i)
          .append("\", \"conversations\": [{\"from\": \"human\", ")
          .append("\"value\": \"q")
          .append(i)
          .append("\"}, {\"from\": \"gpt\", \"value\": \"a\"}]}\n");
    }
    Files.writeString(f, sb);
    try (LlavaDataset d = LlavaDataset.open(f, dir, BrokenSamplePolicy.FAIL)) {
      assertEquals(n, d.size());
      SampleOrder order = SampleOrder.shuffled(n, 42);
      List<String> ids = d.stream(order).map(Sample::id).collect(Collectors.toList());
      for (int i = 0; i < 50; i++) {
        assertEquals("s" + order.get(i), ids.get(i));
      }
      assertEquals(n, ids.stream().distinct().count());
    }
  }
}
