package org.mmmamba.app.ablate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mmmamba.distill.recipe.RunConfig;

/**
 * One distillation run of an ablation: the base config with {@code set} applied, training {@code
 * students} in stage 3 after one pass of stages 1-2, and reporting the given rows (for one seed,
 * when the ablation has seeds).
 *
 * @param name directory name under {@code OUT/runs/}
 * @param set the overrides that define the run (ablation-wide, then the rows', then the seed's)
 * @param students the students trained in stage 3 (those the rows name)
 * @param rows indices of the rows this run reports
 * @param seed the training seed (null: the base config's)
 */
public record PlannedRun(
    String name,
    List<String> set,
    List<RunConfig.Student> students,
    List<Integer> rows,
    Long seed) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Every override of the run config: {@link #set}, then run name, output directory and students.
   */
  public List<String> overrides(String ablation, Path dir) {
    List<String> out = new ArrayList<>(set);
    out.add("run.name=" + json(ablation + "-" + name));
    out.add("run.out_dir=" + json(dir.toString()));
    List<Map<String, String>> st = new ArrayList<>();
    for (RunConfig.Student s : students) {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("name", s.name());
      m.put("layout", s.layout());
      st.add(m);
    }
    out.add("students=" + json(st));
    return out;
  }

  /** JSON text is YAML, and quoting keeps ':' and '[' in paths and layouts literal. */
  private static String json(Object o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
