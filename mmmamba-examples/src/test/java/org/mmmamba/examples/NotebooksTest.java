package org.mmmamba.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.mmmamba.app.MmMamba;
import org.mmmamba.core.Offline;

/**
 * Executes every notebook of {@code mmmamba-examples/notebooks/} cell by cell through JShell
 * ({@link NotebookRunner}); any rejected snippet, unresolved reference or exception fails the build
 * with the notebook, the cell number and the snippet. Also checks IJava's conventions: nbformat 4,
 * the {@code java} kernelspec, a first cell {@code %maven org.mmmamba:mmmamba-examples:VERSION} of
 * this build's version, and {@code Offline.init()} as the first Java statement.
 *
 * <p>The notebooks use the committed teacher ({@code models/shapes-teacher}) through {@link
 * MmMamba#home()}. When the checkout does not have it, a stand-in home is made: the two configs and
 * a teacher trained for two steps (so the notebooks still run; their answers are then meaningless).
 * {@code -Dmmmamba.home=DIR} picks another home.
 *
 * <p>{@code -Dnotebooks.write=true} writes the outputs back into the .ipynb files (text, and PNG
 * images as base64 {@code image/png}), which is how the saved outputs were produced: {@code mvn -o
 * -pl mmmamba-examples -am test -Dtest=NotebooksTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dnotebooks.write=true}.
 */
class NotebooksTest {
  static {
    Offline.init();
  }

  static final Path NOTEBOOKS = Path.of("notebooks");
  private static boolean setHome;

  @BeforeAll
  static void home() throws IOException {
    if (System.getProperty(MmMamba.HOME_PROPERTY) != null) {
      return;
    }
    Path repo = Path.of("").toAbsolutePath().getParent();
    Path home = repo;
    if (!Files.isRegularFile(repo.resolve(MmMamba.BUNDLED_TEACHER).resolve("config.json"))) {
      home = Files.createTempDirectory("mmmamba-home-");
      Files.createDirectories(home.resolve("configs/teacher"));
      for (String f : List.of("configs/quickstart.yaml", "configs/teacher/shapes.yaml")) {
        Files.copy(repo.resolve(f), home.resolve(f));
      }
      Path model =
          MmMamba.trainTeacher(
                  home.resolve("configs/teacher/shapes.yaml"),
                  "run.out_dir=" + home.resolve("runs/stand-in-teacher"),
                  "train.steps=2",
                  "data.synthetic.train=64",
                  "eval.enabled=false",
                  "checkpoint.every=1000")
              .modelDir();
      Path dst = Files.createDirectories(home.resolve(MmMamba.BUNDLED_TEACHER));
      try (Stream<Path> files = Files.list(model)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Files.copy(f, dst.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    System.setProperty(MmMamba.HOME_PROPERTY, home.toString());
    setHome = true;
  }

  @AfterAll
  static void clearHome() {
    if (setHome) {
      System.clearProperty(MmMamba.HOME_PROPERTY);
    }
  }

  @TestFactory
  Stream<DynamicTest> everyNotebookRuns() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(NOTEBOOKS)) {
      files = s.filter(p -> p.toString().endsWith(".ipynb")).sorted().toList();
    }
    assertFalse(files.isEmpty(), "no notebooks in " + NOTEBOOKS.toAbsolutePath());
    return files.stream()
        .map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> run(f)));
  }

  static void run(Path file) throws IOException {
    JsonNode nb = NotebookJson.read(file);
    checkConventions(file.getFileName().toString(), nb);
    try (NotebookRunner r = new NotebookRunner(file.getFileName().toString())) {
      r.runAll(nb);
    }
    if (Boolean.getBoolean("notebooks.write")) {
      NotebookJson.write(nb, file);
    }
  }

  /** nbformat 4, IJava's kernelspec, the %maven cell of this version, Offline.init() first. */
  static void checkConventions(String name, JsonNode nb) {
    assertEquals(4, nb.path("nbformat").asInt(), name + ": nbformat");
    assertEquals(
        "java",
        nb.path("metadata").path("kernelspec").path("name").asText(),
        name + ": kernelspec");
    assertEquals(
        "java",
        nb.path("metadata").path("language_info").path("name").asText().toLowerCase(Locale.ROOT),
        name + ": language_info");
    List<String> code = codeCells(nb);
    String version = System.getProperty("mmmamba.version", "0.1.0-SNAPSHOT");
    assertTrue(
        !code.isEmpty()
            && code.get(0).strip().equals("%maven org.mmmamba:mmmamba-examples:" + version),
        name
            + ": the first code cell must be exactly %maven org.mmmamba:mmmamba-examples:"
            + version);
    assertTrue(
        code.size() > 1 && firstStatement(code.get(1)).startsWith("Offline.init()"),
        name + ": the first Java statement (second code cell) must be Offline.init()");
  }

  static List<String> codeCells(JsonNode nb) {
    return java.util.stream.StreamSupport.stream(nb.get("cells").spliterator(), false)
        .filter(c -> "code".equals(c.path("cell_type").asText()))
        .map(c -> NotebookJson.text(c.get("source")))
        .toList();
  }

  /** The first line that is not blank, a comment or an import. */
  static String firstStatement(String cell) {
    for (String line : cell.split("\n")) {
      String l = line.strip();
      if (!l.isEmpty() && !l.startsWith("//") && !l.startsWith("import ")) {
        return l;
      }
    }
    return "";
  }

  /** The runner fails on a compile error, an exception and an unknown magic, naming the cell. */
  @Test
  void runnerFailsOnBrokenCells() {
    try (NotebookRunner r = new NotebookRunner("t")) {
      r.runCell(1, "%maven a:b:1\nint x = 2;\nSystem.out.println(x * 21);");
      NotebookRunner.CellFailure compile =
          assertThrows(NotebookRunner.CellFailure.class, () -> r.runCell(2, "int y = \"no\";"));
      assertTrue(compile.getMessage().startsWith("t, cell 2: rejected"), compile.getMessage());
      NotebookRunner.CellFailure ex =
          assertThrows(
              NotebookRunner.CellFailure.class,
              () -> r.runCell(3, "int z = 1;\nObject o = null; o.hashCode();"));
      assertTrue(
          ex.getMessage().contains("cell 3: exception java.lang.NullPointerException"),
          ex.getMessage());
      assertTrue(ex.getMessage().contains("o.hashCode()"), ex.getMessage());
      NotebookRunner.CellFailure magic =
          assertThrows(NotebookRunner.CellFailure.class, () -> r.runCell(4, "%time 1+1"));
      assertTrue(magic.getMessage().contains("unknown line magic %time"), magic.getMessage());
      NotebookRunner.CellFailure unresolved =
          assertThrows(
              NotebookRunner.CellFailure.class,
              () -> r.runCell(5, "int f() { return missing(); }"));
      assertTrue(unresolved.getMessage().contains("unresolved"), unresolved.getMessage());
    }
  }

  /**
   * A snippet that makes JShell recompile a variable (which resets it) fails the cell that did it.
   */
  @Test
  void runnerFailsWhenAVariableIsReset() {
    try (NotebookRunner r = new NotebookRunner("t")) {
      r.runCell(1, "class Point { int x = 1; }\nPoint p = new Point();");
      NotebookRunner.CellFailure reset =
          assertThrows(
              NotebookRunner.CellFailure.class,
              () -> r.runCell(2, "class Point { int x = 2; int y; }"));
      assertTrue(reset.getMessage().contains("recompile variable 'p'"), reset.getMessage());
    }
  }

  /**
   * Outputs: stdout text, display bundles (PNG for images) and the value of a trailing expression,
   * in order.
   */
  @Test
  void runnerRecordsOutputsInOrder() {
    try (NotebookRunner r = new NotebookRunner("t")) {
      JsonNode out =
          r.runCell(
              1,
              """
          System.out.println("a");
          display(new java.awt.image.BufferedImage(3, 2, java.awt.image.BufferedImage.TYPE_INT_RGB));
          System.out.print("b");
          System.out.println("c");
          6 * 7
          """);
      assertEquals(4, out.size(), out.toString());
      assertEquals("a\n", NotebookJson.text(out.get(0).get("text")));
      assertEquals("display_data", out.get(1).get("output_type").asText());
      assertTrue(out.get(1).get("data").get("image/png").asText().startsWith("iVBOR"));
      assertEquals("bc\n", NotebookJson.text(out.get(2).get("text")));
      assertEquals("42", NotebookJson.text(out.get(3).get("data").get("text/plain")));
    }
  }
}
