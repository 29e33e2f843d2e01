package org.mmmamba.distill.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.BadInputException;

class ShapesTaskTest {
  @TempDir Path dir;

  @Test
  void generateIsDeterministic() {
    List<ShapesSample> a = ShapesTask.generate(11, 50).collect(Collectors.toList());
    List<ShapesSample> b = ShapesTask.generate(11, 50).collect(Collectors.toList());
    assertEquals(a, b);
    List<ShapesSample> c = ShapesTask.generate(12, 50).collect(Collectors.toList());
    assertFalse(a.equals(c));
    assertEquals("sample-000049", a.get(49).id());
    assertEquals(28, a.get(0).image().width());
  }

  @Test
  void everyAnswerFollowsFromThePixels() {
    for (ShapesConfig cfg :
        List.of(
            ShapesConfig.defaults(),
            new ShapesConfig(48, 3, 4, 0x202020),
            new ShapesConfig(28, 3, 3, 0))) {
      List<ShapesSample> samples =
          ShapesTask.generate(cfg, 3, 400, "s").collect(Collectors.toList());
      for (ShapesSample s : samples) {
        assertEquals(
            s.answer(),
            PixelOracle.answer(s, cfg),
            s.id() + ": " + s.question() + " " + s.objects());
        for (ShapeObject o : s.objects()) {
          // the pixel at the centre of each object has the object's colour
          assertEquals(
              o.color().rgb(), PixelOracle.rgbAt(s.image(), o.centerX(), o.centerY()), s.id());
        }
      }
    }
  }

  @Test
  void questionsAreUnambiguousByConstruction() {
    for (ShapesSample s : ShapesTask.generate(5, 500).collect(Collectors.toList())) {
      Set<String> combos = new HashSet<>();
      Set<String> cells = new HashSet<>();
      for (ShapeObject o : s.objects()) {
        assertTrue(combos.add(o.kind() + "/" + o.color()), "duplicate colour+shape in " + s.id());
        assertTrue(cells.add(o.row() + "," + o.col()), "two objects in a cell in " + s.id());
      }
      assertTrue(s.objects().size() >= 1 && s.objects().size() <= 3);
    }
  }

  @Test
  void answersAreBalancedSoTextAloneIsNearChance() {
    List<ShapesSample> samples = ShapesTask.generate(2024, 2000).collect(Collectors.toList());
    List<String> q = samples.stream().map(ShapesSample::question).collect(Collectors.toList());
    List<String> a = samples.stream().map(ShapesSample::answer).collect(Collectors.toList());
    double inSample = TextOnlyBaseline.majorityAccuracy(q, a);
    List<ShapesSample> test = ShapesTask.generate(99, 2000).collect(Collectors.toList());
    double heldOut =
        TextOnlyBaseline.heldOutAccuracy(
            q,
            a,
            test.stream().map(ShapesSample::question).collect(Collectors.toList()),
            test.stream().map(ShapesSample::answer).collect(Collectors.toList()));
    System.out.printf(
        "shapes text-only majority baseline on 2000 samples: in-sample %.3f, held-out %.3f%n",
        inSample, heldOut);
    assertTrue(inSample < 0.45, "in-sample text-only baseline " + inSample);
    assertTrue(heldOut < 0.40, "held-out text-only baseline " + heldOut);
    // chance per type is 1/4 (color), 1/3 (shape, count), 1/4 (position on 2x2): about 0.29
    Map<QuestionType, Integer> perType = new EnumMap<>(QuestionType.class);
    samples.forEach(s -> perType.merge(s.questionType(), 1, Integer::sum));
    for (int n : perType.values()) {
      assertTrue(n > 400 && n < 600, "question types are balanced: " + perType);
    }
  }

  @Test
  void baselineByHand() {
    // "q1" answered x,x,y -> majority x gets 2/3; "q2" answered z -> 1/1. Total 3/4.
    assertEquals(
        0.75,
        TextOnlyBaseline.majorityAccuracy(
            List.of("q1", "q1", "q1", "q2"), List.of("x", "x", "y", "z")));
  }

  @Test
  void vocabularyCoversEverythingGenerated() {
    ShapesConfig cfg = new ShapesConfig(36, 3, 5, 0x202020);
    Set<String> vocab = new HashSet<>(ShapesTask.vocabulary(cfg));
    ShapesTask.generate(cfg, 1, 300, "v")
        .forEach(
            s -> {
              for (String w : (s.question() + " " + s.answer()).split(" ")) {
                assertTrue(vocab.contains(w), "word '" + w + "' is missing from the vocabulary");
              }
            });
    assertTrue(vocab.containsAll(List.of("top-left", "center", "bottom", "five")));
  }

  @Test
  void writeDatasetIsByteForByteDeterministic() throws Exception {
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    ShapesTask.writeDataset(a, 77, 30, 10);
    ShapesTask.writeDataset(b, 77, 30, 10);
    List<Path> fa = files(a);
    assertEquals(
        files(b).stream().map(b::relativize).collect(Collectors.toList()),
        fa.stream().map(a::relativize).collect(Collectors.toList()));
    assertEquals(
        30 + 10 + 4, fa.size()); // images, train.json, test.json, tokenizer.json, task.json
    for (Path f : fa) {
      assertArrayEquals(
          Files.readAllBytes(f), Files.readAllBytes(b.resolve(a.relativize(f))), f.toString());
    }
    Path c = dir.resolve("c");
    ShapesTask.writeDataset(c, 78, 30, 10);
    assertFalse(
        Arrays.equals(
            Files.readAllBytes(a.resolve("train.json")),
            Files.readAllBytes(c.resolve("train.json"))));
  }

  @Test
  void writeDatasetRefusesANonEmptyDirectoryUnlessForced() throws Exception {
    Path out = dir.resolve("out");
    Files.createDirectories(out);
    Files.writeString(out.resolve("keep.txt"), "mine");
    BadInputException e =
        assertThrows(BadInputException.class, () -> ShapesTask.writeDataset(out, 1, 2, 1));
    assertTrue(e.getMessage().contains("not empty"), e.getMessage());
    assertTrue(Files.exists(out.resolve("keep.txt")));
    ShapesTask.writeDataset(out, ShapesConfig.defaults(), 1, 2, 1, true);
    assertFalse(Files.exists(out.resolve("keep.txt")));
    assertTrue(Files.exists(out.resolve("train.json")));
    // no temporary directories are left next to the output
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(List.of(out), s.collect(Collectors.toList()));
    }
    Path empty = dir.resolve("empty");
    Files.createDirectories(empty);
    ShapesTask.writeDataset(empty, 1, 1, 1); // an empty directory is fine
    assertTrue(Files.exists(empty.resolve("test.json")));
  }

  @Test
  void badConfigNamesTheField() {
    BadInputException e =
        assertThrows(BadInputException.class, () -> new ShapesConfig(28, 4, 3, 0).validate());
    assertTrue(e.getMessage().contains("gridSize"));
    e = assertThrows(BadInputException.class, () -> new ShapesConfig(28, 2, 5, 0).validate());
    assertTrue(e.getMessage().contains("maxShapes"));
    e = assertThrows(BadInputException.class, () -> new ShapesConfig(10, 2, 1, 0).validate());
    assertTrue(e.getMessage().contains("imageSize"));
  }

  private static List<Path> files(Path root) throws Exception {
    try (Stream<Path> s = Files.walk(root)) {
      List<Path> out =
          new ArrayList<>(s.filter(Files::isRegularFile).sorted().collect(Collectors.toList()));
      return out;
    }
  }
}
