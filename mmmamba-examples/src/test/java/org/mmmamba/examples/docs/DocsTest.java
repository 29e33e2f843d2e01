package org.mmmamba.examples.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The docs stay true: every generated block of README.md and docs/ equals what the committed run
 * outputs give ({@link DocsFigures}; {@code scripts/docs} rewrites them), and no relative link in
 * README.md or docs/**.md points at a missing file.
 */
class DocsTest {
  /** The repository root (tests run in the module directory). */
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  /**
   * Markdown links and images: {@code [text](target)} and {@code ![alt](target)}; also {@code <a
   * href="...">}.
   */
  private static final Pattern LINK =
      Pattern.compile("\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)|href=\"([^\"]+)\"");

  @Test
  void generatedBlocksEqualTheCommittedRunOutputs() throws IOException {
    List<String> bad = new ArrayList<>();
    List<DocsFigures.Block> blocks = DocsFigures.blocks(ROOT);
    assertTrue(blocks.size() >= 3);
    for (DocsFigures.Block b : blocks) {
      String text = Files.readString(ROOT.resolve(b.file()), StandardCharsets.UTF_8);
      if (!DocsFigures.committed(text, b.name()).equals(b.text())) {
        bad.add(
            b.file()
                + " block '"
                + b.name()
                + "':\n--- committed\n"
                + DocsFigures.committed(text, b.name())
                + "--- from the run outputs\n"
                + b.text());
      }
    }
    assertEquals(
        List.of(),
        bad,
        "README/docs figures differ from the committed run outputs; run scripts/docs");
  }

  @Test
  void everyGeneratedBlockHoldsFigures() {
    for (DocsFigures.Block b : DocsFigures.blocks(ROOT)) {
      assertTrue(b.text().matches("(?s).*\\d\\.\\d.*"), b.name() + " has figures: " + b.text());
    }
  }

  @Test
  void noDanglingRelativeLinks() throws IOException {
    List<Path> files = new ArrayList<>();
    files.add(ROOT.resolve("README.md"));
    try (Stream<Path> s = Files.walk(ROOT.resolve("docs"))) {
      s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
    }
    List<String> dangling = new ArrayList<>();
    int checked = 0;
    for (Path f : files) {
      String text = Files.readString(f, StandardCharsets.UTF_8);
      for (String target : links(text)) {
        if (target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*") || target.startsWith("#")) {
          continue; // http:, https:, mailto: ... and in-page anchors
        }
        String path = target.replaceAll("[#?].*$", "");
        if (path.isEmpty()) {
          continue;
        }
        checked++;
        Path resolved =
            f.getParent()
                .resolve(java.net.URLDecoder.decode(path, StandardCharsets.UTF_8))
                .normalize();
        if (!Files.exists(resolved)) {
          dangling.add(ROOT.relativize(f) + ": " + target);
        }
      }
    }
    assertTrue(checked > 20, "links were found (" + checked + ")");
    assertEquals(List.of(), dangling, "dangling relative links");
  }

  @Test
  void theLinkCheckerSeesADanglingLink() {
    assertEquals(
        List.of("docs/missing.md", "a.png", "x.md#part"),
        links(
            "see [m](docs/missing.md) and ![i](a.png \"title\") and <a href=\"x.md#part\">x</a>"));
  }

  /** Every link target of a Markdown text, code spans and fenced blocks left out. */
  static List<String> links(String text) {
    String noFences = text.replaceAll("(?s)```.*?```", "").replaceAll("`[^`\\n]*`", "");
    List<String> out = new ArrayList<>();
    Matcher m = LINK.matcher(noFences);
    while (m.find()) {
      out.add(m.group(1) != null ? m.group(1) : m.group(2));
    }
    return out;
  }
}
