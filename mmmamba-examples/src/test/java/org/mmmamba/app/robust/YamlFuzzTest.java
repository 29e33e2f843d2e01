package org.mmmamba.app.robust;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.mmmamba.core.BadInputException;
import org.mmmamba.distill.recipe.Recipes;

/**
 * Random damage to configs/quickstart.yaml (character edits biased to YAML syntax, line edits,
 * truncation, --set overrides) fed to {@link Recipes#parse}: it must accept the text or throw
 * {@link BadInputException} with a one-line message; no other exception, no hang.
 */
class YamlFuzzTest {
  static final String QUICKSTART = read();

  static String read() {
    try {
      return Files.readString(Path.of("../configs/quickstart.yaml"));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * One edit of the text: at {@code pos} (modulo length), delete {@code delete} chars, insert
   * {@code insert}.
   */
  record Edit(int pos, int delete, String insert) {
    String apply(String s) {
      if (s.isEmpty()) {
        return insert;
      }
      int p = Math.floorMod(pos, s.length());
      return s.substring(0, p) + insert + s.substring(Math.min(s.length(), p + delete));
    }
  }

  @Provide
  Arbitrary<List<Edit>> edits() {
    Arbitrary<String> yamlish =
        Arbitraries.of(
            ":",
            ": ",
            "{",
            "}",
            "[",
            "]",
            ",",
            "-",
            "- ",
            "#",
            "&a ",
            "*a",
            "!!int ",
            "!!binary ",
            "|",
            ">",
            "'",
            "\"",
            "%",
            "@",
            "`",
            "\t",
            "\n",
            "\n  ",
            "  ",
            "?",
            "~",
            "null",
            ".nan",
            "-.inf",
            "1e999",
            "-1",
            "0",
            "2147483648",
            "9223372036854775808",
            "true",
            "yes",
            "0x1F",
            "1_000",
            "<<: *a",
            "\u0000",
            "\uFEFF",
            "\u2028",
            "é",
            "steps",
            "stages:",
            "run:",
            "students: ",
            "{name: x}");
    Arbitrary<String> insert =
        Arbitraries.oneOf(yamlish, Arbitraries.strings().ofMaxLength(6), Arbitraries.just(""));
    return Combinators.combine(
            Arbitraries.integers().between(0, 100_000),
            Arbitraries.integers().between(0, 12),
            insert)
        .as(Edit::new)
        .list()
        .ofMinSize(1)
        .ofMaxSize(5);
  }

  @Provide
  Arbitrary<List<String>> sets() {
    Arbitrary<String> key =
        Arbitraries.of(
            "stages.stage1.steps",
            "stages.stage3.lr",
            "students",
            "checkpoint",
            "run.out_dir",
            "data.batch_size",
            "stages.stage2.schedule.type",
            "eval",
            "nope",
            "stages..steps",
            "",
            "stages.stage1.schedule");
    Arbitrary<String> value =
        Arbitraries.of(
            "1",
            "-1",
            "abc",
            "[1, 2",
            "{a: 1}",
            "null",
            "",
            "[]",
            "1e999",
            "~",
            "[{name: a, layout: linear}]",
            "{every: 0}",
            "{type: WSD, warmup: 1}");
    Arbitrary<String> one =
        Combinators.combine(key, value, Arbitraries.of("=", ":", "")).as((k, v, eq) -> k + eq + v);
    return one.list().ofMaxSize(2);
  }

  @Property(tries = 1000)
  void mutatedConfigsParseOrFailCleanly(
      @ForAll("edits") List<Edit> edits,
      @ForAll("sets") List<String> sets,
      @ForAll("cut") int cut) {
    String text = QUICKSTART;
    for (Edit e : edits) {
      text = e.apply(text);
    }
    if (cut >= 0) {
      text = text.substring(0, Math.min(text.length(), cut));
    }
    String yaml = text;
    String outcome = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> parse(yaml, sets));
    Statistics.label("outcome").collect(outcome);
  }

  @Provide
  Arbitrary<Integer> cut() {
    return Arbitraries.oneOf(
        Arbitraries.just(-1), Arbitraries.integers().between(0, QUICKSTART.length()));
  }

  /** "ok" or "refused"; anything else propagates and fails the property. */
  static String parse(String yaml, List<String> sets) {
    try {
      Recipes.parse(yaml, "fuzz.yaml", sets);
      return "ok";
    } catch (BadInputException e) {
      assertFalse(e.getMessage().contains("\n"), "not one line: " + e.getMessage());
      return "refused";
    }
  }

  /** Hand-picked shapes a fuzzer rarely builds: null or scalar sections, aliases, deep nesting. */
  @Example
  void sectionsOfTheWrongShape() {
    for (String y :
        List.of(
            "stages: null",
            "stages: 3",
            "stages: {stage1: null}",
            "stages: {stage1: {schedule: null}}",
            "students: null",
            "students: [null]",
            "students: [3]",
            "run: null",
            "data: {synthetic: null}",
            "checkpoint: []",
            "eval: ~",
            "init: null",
            "teacher: null",
            "stages: {stage3: {schedule: {type: null}}}",
            "a: &x [*x]",
            "run: &r {name: a}\nteacher: *r",
            "x: " + "[".repeat(5000),
            "? [a]\n: b",
            "run: {name: " + "a".repeat(200_000) + "}",
            "!!binary run: a",
            "%YAML 9.9\n---\nrun: {}")) {
      assertTimeoutPreemptively(Duration.ofSeconds(5), () -> parse(y, List.of()), y);
    }
    for (String set :
        List.of(
            "stages=null",
            "stages.stage1=null",
            "students=null",
            "students=[null]",
            "stages.stage1.schedule=null",
            "data.synthetic=3",
            "checkpoint=[]")) {
      assertTimeoutPreemptively(Duration.ofSeconds(5), () -> parse(QUICKSTART, List.of(set)), set);
    }
  }
}
