package org.mmmamba.app.ablate;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.distill.recipe.RunConfig;
import org.mmmamba.distill.recipe.YamlConfigs;

/**
 * An ablation: a grid of distillation variants of one base run, each evaluated, next to the paper's
 * numbers for the same rows (PAPER Tables 3-6, docs/method.md §3-4). Bound strictly from YAML by
 * {@link Ablation#load}; defaults in {@code ablation-defaults.yaml}.
 *
 * <p>Rows with the same overrides ({@link #set} + the row's {@code set}) share one distillation
 * run, which trains every student those rows name in stage 3 after one pass of stages 1-2 (Tables 5
 * and 6: one run, several layouts); rows with different overrides get a run each (Tables 3 and 4).
 *
 * @param name identifier (letters, digits, '_', '.', '-'); the CLI writes to {@code OUT/name}
 * @param title human title, e.g. "Table 3: distillation stages"
 * @param base the run YAML the rows vary, relative to the ablation file or else to the working
 *     directory
 * @param metric the headline paper column (a key of the rows' {@code paper} maps, e.g. "MME")
 * @param student the student a row reports unless the row names one ({@code teacher} reports the
 *     teacher)
 * @param notes free text copied into ablation.md (how our rows map to the paper's)
 * @param set overrides ("key.path=value", as {@code --set}) applied to every run of this ablation
 * @param students the students rows may name (name + layout); null: the base config's students
 * @param paperTeacher the paper's teacher (HoVLE) on each metric, for relative scores; may be null
 * @param seeds training seeds: every run is repeated once per seed (run.seed and data.shuffle_seed
 *     set to it) and a row reports the mean over seeds; null: one run with the base's seeds
 * @param rows the rows, in table order
 */
public record AblationConfig(
    String name,
    String title,
    String base,
    String metric,
    String student,
    String notes,
    List<String> set,
    List<RunConfig.Student> students,
    Map<String, Double> paperTeacher,
    List<Long> seeds,
    List<Row> rows) {

  /** The model name that reports the teacher itself rather than a student. */
  public static final String TEACHER = "teacher";

  /**
   * One row of the table.
   *
   * @param name label (unique within the ablation)
   * @param student the student this row reports (null: the ablation's {@code student})
   * @param set overrides of this row's run (null or empty: none)
   * @param paper the paper's numbers for this row by metric (null: the paper has no such row)
   */
  public record Row(String name, String student, List<String> set, Map<String, Double> paper) {
    /** This row's overrides, never null. */
    public List<String> overrides() {
      return set == null ? List.of() : set;
    }
  }

  /** The student row {@code i} reports. */
  public String studentOf(int i) {
    Row r = rows.get(i);
    return r.student() != null ? r.student() : student;
  }

  /** Checks every value that needs no base config; errors name file, line and key. */
  public void validate(YamlConfigs.Located<AblationConfig> at) {
    require(
        at,
        "name",
        name != null && name.matches("[A-Za-z0-9_.-]+"),
        "must be letters, digits, '_', '.', '-'");
    require(at, "base", base != null && !base.isBlank(), "must name the base run YAML");
    require(at, "metric", metric != null && !metric.isBlank(), "must be set");
    require(at, "student", student != null && !student.isBlank(), "must be set");
    require(at, "rows", rows != null && rows.size() >= 2, "must list at least two rows");
    if (students != null) {
      Set<String> names = new HashSet<>();
      for (int i = 0; i < students.size(); i++) {
        RunConfig.Student s = students.get(i);
        String key = "students[" + i + "]";
        require(
            at,
            key,
            s.name() != null && s.name().matches("[A-Za-z0-9_.-]+"),
            "name must be letters, digits, '_', '.', '-'");
        require(at, key, !TEACHER.equals(s.name()), "'teacher' is reserved for the teacher itself");
        require(at, key, names.add(s.name()), "duplicate student name '" + s.name() + "'");
        require(at, key, s.layout() != null, "layout must be set");
        try {
          HybridLayout.parse(s.layout());
        } catch (BadInputException e) {
          throw new BadInputException(where(at, key) + ": " + e.getMessage());
        }
      }
    }
    checkPaper(at, "paper_teacher", paperTeacher);
    if (seeds != null) {
      require(
          at, "seeds", !seeds.isEmpty() && !seeds.contains(null), "must list at least one seed");
      require(at, "seeds", new HashSet<>(seeds).size() == seeds.size(), "must not repeat a seed");
    }
    Set<String> rowNames = new HashSet<>();
    boolean anyPaper = false;
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      String key = "rows[" + i + "]";
      require(at, key, r.name() != null && !r.name().isBlank(), "name must be set");
      require(at, key, rowNames.add(r.name()), "duplicate row name '" + r.name() + "'");
      checkPaper(at, key + ".paper", r.paper());
      anyPaper |= r.paper() != null && r.paper().containsKey(metric);
    }
    require(at, "metric", anyPaper, "'" + metric + "' is in no row's paper numbers");
  }

  private static void checkPaper(
      YamlConfigs.Located<AblationConfig> at, String key, Map<String, Double> paper) {
    if (paper == null) {
      return;
    }
    for (Map.Entry<String, Double> e : paper.entrySet()) {
      require(
          at,
          key,
          e.getValue() != null && Double.isFinite(e.getValue()),
          "'" + e.getKey() + "' must be a finite number");
    }
  }

  static void require(YamlConfigs.Located<?> at, String key, boolean ok, String what) {
    if (!ok) {
      throw new BadInputException(where(at, key) + " " + what);
    }
  }

  /**
   * "file:line: key"; a list item ("rows[2]") has no line of its own, so it takes the line of its
   * {@code name} (the first key of every item here).
   */
  static String where(YamlConfigs.Located<?> at, String key) {
    Integer line = at.lines().get(key);
    if (line == null && key.endsWith("]")) {
      line = at.lines().get(key + ".name");
    }
    return at.source() + (line == null ? "" : ":" + line) + ": " + key;
  }
}
