package org.mmmamba.distill.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Key positions for error messages: every key path, top-level ones included, maps to its line. */
class YamlLinesTest {
  @Test
  void everyKeyPathHasItsLine() {
    String yaml =
        String.join(
            "\n",
            "# comment",
            "seed: 3",
            "run:",
            "  out_dir: x",
            "  list:",
            "    - 1",
            "    - {a: 2}",
            "top: [4, 5]",
            "");
    Map<String, Integer> lines = YamlConfigs.lines(yaml);
    assertEquals(2, lines.get("seed"));
    assertEquals(3, lines.get("run"));
    assertEquals(4, lines.get("run.out_dir"));
    assertEquals(5, lines.get("run.list"));
    assertEquals(6, lines.get("run.list[0]"));
    assertEquals(7, lines.get("run.list[1]"));
    assertEquals(7, lines.get("run.list[1].a"));
    assertEquals(8, lines.get("top"));
    assertEquals(8, lines.get("top[1]"));
    assertEquals(null, lines.get(".seed"));
  }
}
