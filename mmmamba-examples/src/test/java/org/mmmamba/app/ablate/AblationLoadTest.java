package org.mmmamba.app.ablate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.BadInputException;
import org.mmmamba.distill.recipe.RunConfig;

/**
 * Loading and planning ablation files: sharing of runs, and errors that name file, line and key.
 */
class AblationLoadTest {
  @TempDir Path dir;

  Path write(String ablation) throws Exception {
    Files.writeString(
        dir.resolve("base.yaml"),
        String.join(
            "\n",
            "run: {name: b, out_dir: runs/b}",
            "students:",
            "  - {name: linear, layout: linear}",
            "  - {name: hybrid, layout: 'head-interleaved:2'}",
            ""));
    Path f = dir.resolve("abl.yaml");
    Files.writeString(f, ablation);
    return f;
  }

  static final String HEAD = "name: t\nbase: base.yaml\nmetric: MME\n";

  @Test
  void rowsWithEqualOverridesShareOneRunThatTrainsTheStudentsTheyName() throws Exception {
    Ablation.Plan p =
        Ablation.load(
            write(
                HEAD
                    + String.join(
                        "\n",
                        "students:",
                        "  - {name: a0, layout: linear}",
                        "  - {name: a2, layout: 'tail-stacked:2'}",
                        "  - {name: unused, layout: 'head-stacked:1'}",
                        "rows:",
                        "  - {name: zero, student: a0, paper: {MME: 1}}",
                        "  - {name: two, student: a2, paper: {MME: 2}}",
                        "  - {name: teacher, student: teacher, paper: {MME: 3}}",
                        "")),
            List.of());
    assertEquals(1, p.runs().size());
    PlannedRun r = p.runs().get(0);
    assertEquals("shared", r.name());
    assertEquals(List.of("a0", "a2"), r.students().stream().map(RunConfig.Student::name).toList());
    assertEquals(List.of(0, 1, 2), r.rows());
  }

  @Test
  void rowsWithDifferentOverridesGetARunEach() throws Exception {
    Ablation.Plan p =
        Ablation.load(
            write(
                HEAD
                    + String.join(
                        "\n",
                        "set: ['eval.limit=5']",
                        "rows:",
                        "  - {name: S1+S2, set: ['stages.stage3.enabled=false'], paper: {MME: 1}}",
                        "  - {name: all, paper: {MME: 2}}",
                        "  - {name: all hybrid, student: hybrid, paper: {MME: 3}}",
                        "")),
            List.of("stages.stage1.steps=3"));
    assertEquals(List.of("s1-s2", "all"), p.runs().stream().map(PlannedRun::name).toList());
    assertEquals(
        List.of("eval.limit=5", "stages.stage1.steps=3", "stages.stage3.enabled=false"),
        p.runs().get(0).set());
    // The base's students are the pool when the ablation lists none; a run trains only those its
    // rows name.
    assertEquals(
        List.of("linear"),
        p.runs().get(0).students().stream().map(RunConfig.Student::name).toList());
    assertEquals(
        List.of("linear", "hybrid"),
        p.runs().get(1).students().stream().map(RunConfig.Student::name).toList());
  }

  @Test
  void unknownKeyNamesFileLineAndKey() throws Exception {
    Path f = write(HEAD + "rows:\n  - {name: a, paper: {MME: 1}}\n  - {name: b, papr: {MME: 2}}\n");
    BadInputException e = assertThrows(BadInputException.class, () -> Ablation.load(f, List.of()));
    assertTrue(e.getMessage().startsWith(f + ":6: unknown key 'rows[1].papr'"), e.getMessage());
  }

  @Test
  void unknownStudentNamesTheRowLine() throws Exception {
    Path f =
        write(
            HEAD
                + "rows:\n  - {name: a, paper: {MME: 1}}\n  - {name: b, student: nope, paper: {MME: 2}}\n");
    BadInputException e = assertThrows(BadInputException.class, () -> Ablation.load(f, List.of()));
    assertTrue(
        e.getMessage().startsWith(f + ":6: rows[1].student names student 'nope'"), e.getMessage());
  }

  @Test
  void badRowOverrideFailsAtLoadNamingTheRow() throws Exception {
    Path f =
        write(
            HEAD
                + "rows:\n  - {name: a, paper: {MME: 1}}\n  - {name: b, set: ['stages.stage3.lr=-1'],"
                + " paper: {MME: 2}}\n");
    BadInputException e = assertThrows(BadInputException.class, () -> Ablation.load(f, List.of()));
    assertTrue(e.getMessage().startsWith(f + ":6: rows[1]: run 'b'"), e.getMessage());
    assertTrue(e.getMessage().contains("stages.stage3.lr must be > 0"), e.getMessage());
  }

  @Test
  void teacherRowNeedsAStudentRunAndMetricMustAppear() throws Exception {
    Path f =
        write(
            HEAD
                + "rows:\n  - {name: a, paper: {MME: 1}}\n  - {name: t, student: teacher, set: "
                + "['eval.limit=3'], paper: {MME: 2}}\n");
    BadInputException e = assertThrows(BadInputException.class, () -> Ablation.load(f, List.of()));
    assertTrue(
        e.getMessage().contains("rows[1] reports the teacher, but its run trains no student"),
        e.getMessage());
    Path g = write(HEAD + "rows:\n  - {name: a, paper: {POPE: 1}}\n  - {name: b}\n");
    e = assertThrows(BadInputException.class, () -> Ablation.load(g, List.of()));
    assertTrue(
        e.getMessage().startsWith(g + ":3: metric 'MME' is in no row's paper numbers"),
        e.getMessage());
  }

  @Test
  void missingBaseIsOneLine() throws Exception {
    Path f = write("name: t\nbase: nowhere.yaml\nrows: [{name: a, paper: {MME: 1}}, {name: b}]\n");
    BadInputException e = assertThrows(BadInputException.class, () -> Ablation.load(f, List.of()));
    assertTrue(e.getMessage().startsWith(f + ":2: base: 'nowhere.yaml' not found"), e.getMessage());
  }
}
