package org.mmmamba.app.ablate;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.mmmamba.app.report.Reports;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.config.VlmConfigs;
import org.mmmamba.core.io.AtomicText;
import org.mmmamba.distill.Distillation;
import org.mmmamba.distill.eval.EvalReport;
import org.mmmamba.distill.recipe.Recipes;
import org.mmmamba.distill.recipe.RunConfig;
import org.mmmamba.distill.recipe.YamlConfigs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an ablation ({@link AblationConfig}): plans the distillation runs its rows need (rows with
 * equal overrides share one run, whose stage 3 trains every student they name), runs each with
 * {@link Distillation#run}, and writes the table beside the paper's numbers ({@link
 * AblationReport}).
 *
 * <p>Output directory: {@code runs/NAME/} (one ordinary distillation run directory each, with its
 * report.md and an {@code ablation-run.json} marker once finished), {@code ablation.json}, {@code
 * ablation.md}, {@code ablation.png}. With {@code resume}, finished runs (marker present, same
 * overrides) are read back from their eval.json, and an interrupted run continues from its
 * checkpoints. Each distillation runs in a child JVM by default ({@link Options#isolate}), so that
 * memory goes back to the OS between runs.
 */
public final class Ablation {
  private static final Logger LOG = LoggerFactory.getLogger(Ablation.class);

  /** Classpath resource holding the defaults of an ablation file. */
  public static final String DEFAULTS = "/org/mmmamba/app/ablate/ablation-defaults.yaml";

  static final String MARKER = "ablation-run.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private Ablation() {}

  /**
   * A validated ablation and the runs it needs.
   *
   * @param at the ablation config with key positions
   * @param base the resolved base run YAML
   * @param set overrides applied to every run (the ablation's {@code set}, then the caller's)
   * @param runs the planned runs, in row order of their first row
   */
  public record Plan(
      YamlConfigs.Located<AblationConfig> at, Path base, List<String> set, List<PlannedRun> runs) {
    /** The ablation config. */
    public AblationConfig config() {
      return at.value();
    }
  }

  /**
   * How to run.
   *
   * @param resume reuse finished runs and continue an interrupted one from its checkpoints
   * @param isolate run each distillation in a child JVM ({@link RunWorker}); off: in this JVM
   *     (tests)
   */
  public record Options(boolean resume, boolean isolate) {}

  /**
   * What an ablation produced.
   *
   * @param outDir the ablation's directory
   * @param rows our result per row, in table order
   * @param report the content of ablation.json
   */
  public record Result(Path outDir, List<RowResult> rows, ObjectNode report) {}

  /**
   * Loads and validates an ablation file, its base run and every planned run config (so a typo in
   * any row fails here, not after an hour of training).
   *
   * @param runOverrides extra overrides applied to every run after the ablation's own (e.g. from
   *     the CLI)
   */
  public static Plan load(Path file, List<String> runOverrides) {
    YamlConfigs.Located<AblationConfig> at =
        YamlConfigs.load(file, AblationConfig.class, DEFAULTS, List.of());
    AblationConfig c = at.value();
    c.validate(at);
    Path base = resolveBase(file, c.base(), at);
    List<String> common = new ArrayList<>(c.set() == null ? List.of() : c.set());
    common.addAll(runOverrides);
    RunConfig baseRun = Recipes.load(base, common).value();
    if (!Boolean.TRUE.equals(baseRun.eval().enabled()) || baseRun.data().test() == null) {
      throw new BadInputException(
          AblationConfig.where(at, "base")
              + ": the base run must evaluate (eval.enabled: true and data.test set)");
    }
    List<RunConfig.Student> pool = c.students() != null ? c.students() : baseRun.students();
    // Group rows by their full override list; each group is one run training the students its rows
    // name.
    Map<List<String>, List<Integer>> groups = new LinkedHashMap<>();
    for (int i = 0; i < c.rows().size(); i++) {
      List<String> key = new ArrayList<>(common);
      key.addAll(c.rows().get(i).overrides());
      groups.computeIfAbsent(key, k -> new ArrayList<>()).add(i);
    }
    List<PlannedRun> runs = new ArrayList<>();
    Set<String> dirNames = new HashSet<>();
    for (Map.Entry<List<String>, List<Integer>> g : groups.entrySet()) {
      List<RunConfig.Student> students = new ArrayList<>();
      for (int i : g.getValue()) {
        String name = c.studentOf(i);
        String key = c.rows().get(i).student() != null ? "rows[" + i + "].student" : "student";
        if (AblationConfig.TEACHER.equals(name)) {
          continue;
        }
        RunConfig.Student s =
            pool.stream()
                .filter(p -> p.name().equals(name))
                .findFirst()
                .orElseThrow(
                    () ->
                        new BadInputException(
                            AblationConfig.where(at, key)
                                + " names student '"
                                + name
                                + "', which is not among "
                                + (c.students() != null ? "the ablation's" : "the base run's")
                                + " students "
                                + pool.stream().map(RunConfig.Student::name).toList()));
        if (!students.contains(s)) {
          students.add(s);
        }
      }
      int first = g.getValue().get(0);
      if (students.isEmpty()) {
        throw new BadInputException(
            row(at, first)
                + " reports the teacher, but its run trains no"
                + " student: give the teacher row the same set as a student row");
      }
      String dir = groups.size() == 1 ? "shared" : slug(c.rows().get(first).name());
      String unique = dir;
      for (int k = 2; !dirNames.add(unique); k++) {
        unique = dir + "-" + k;
      }
      if (c.seeds() == null) {
        runs.add(new PlannedRun(unique, g.getKey(), students, g.getValue(), null));
      } else {
        for (long seed : c.seeds()) {
          List<String> set = new ArrayList<>(g.getKey());
          set.add("run.seed=" + seed);
          set.add("data.shuffle_seed=" + seed);
          runs.add(new PlannedRun(unique + "-seed" + seed, set, students, g.getValue(), seed));
        }
      }
    }
    for (PlannedRun r : runs) {
      List<String> ov = r.overrides(c.name(), Path.of("runs", "check"));
      try {
        Recipes.load(base, ov);
        for (RunConfig.Student s : r.students()) {
          HybridLayout.parse(s.layout());
        }
      } catch (BadInputException e) {
        throw new BadInputException(
            row(at, r.rows().get(0)) + ": run '" + r.name() + "': " + e.getMessage());
      }
    }
    return new Plan(at, base, common, runs);
  }

  /**
   * Loads {@code ablationYaml} and runs it into {@code outDir}, each distillation in a child JVM.
   */
  public static Result run(Path ablationYaml, Path outDir, boolean resume) throws IOException {
    return run(load(ablationYaml, List.of()), outDir, new Options(resume, true));
  }

  /** Runs a loaded plan into {@code outDir}. */
  public static Result run(Plan plan, Path outDir, Options o) throws IOException {
    boolean resume = o.resume();
    AblationConfig c = plan.config();
    Files.createDirectories(outDir);
    Map<String, Map<String, EvalReport>> evals = new LinkedHashMap<>();
    Map<String, Double> seconds = new LinkedHashMap<>();
    Map<String, Boolean> reused = new LinkedHashMap<>();
    Map<String, Integer> depth = checkLayouts(plan, outDir);
    for (PlannedRun r : plan.runs()) {
      Path dir = outDir.toAbsolutePath().resolve("runs").resolve(r.name());
      List<String> ov = r.overrides(c.name(), dir);
      Path marker = dir.resolve(MARKER);
      if (resume && finished(marker, ov)) {
        LOG.info(
            "{}: run '{}' already finished, reading {}",
            c.name(),
            r.name(),
            dir.resolve("eval.json"));
        evals.put(r.name(), readEval(dir.resolve("eval.json")));
        seconds.put(r.name(), JSON.readTree(marker.toFile()).path("seconds").asDouble());
        reused.put(r.name(), true);
        continue;
      }
      LOG.info(
          "{}: run '{}' ({} of {}): students {}, overrides {}",
          c.name(),
          r.name(),
          plan.runs().indexOf(r) + 1,
          plan.runs().size(),
          r.students().stream().map(RunConfig.Student::name).toList(),
          r.set());
      long t0 = System.nanoTime();
      Map<String, EvalReport> eval;
      if (o.isolate()) {
        RunWorker.runIsolated(plan.base(), ov, resume, c.name() + " run '" + r.name() + "'");
        eval = readEval(dir.resolve("eval.json"));
      } else {
        List<String> cmd = List.of("ablate", "--config", plan.at().source(), "--run", r.name());
        Distillation.Result res =
            Distillation.run(
                Recipes.load(plan.base(), ov), new Distillation.Options(resume, null, cmd));
        Reports.write(res);
        eval = res.eval();
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      ObjectNode m = JSON.createObjectNode();
      m.putPOJO("overrides", ov);
      m.put("seconds", secs);
      AtomicText.writeString(marker, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m));
      evals.put(r.name(), eval);
      seconds.put(r.name(), secs);
      reused.put(r.name(), false);
    }
    List<RowResult> rows = new ArrayList<>();
    for (int i = 0; i < c.rows().size(); i++) {
      rows.add(rowResult(plan, i, evals, depth));
    }
    ObjectNode json = AblationReport.write(plan, rows, outDir, runsJson(plan, seconds, reused));
    return new Result(outDir, rows, json);
  }

  /**
   * Every student layout must fit its teacher's depth: fail before the first run, not in the last.
   */
  static Map<String, Integer> checkLayouts(Plan plan, Path outDir) {
    Map<String, Integer> depth = new LinkedHashMap<>();
    for (PlannedRun r : plan.runs()) {
      RunConfig rc = Recipes.load(plan.base(), r.overrides(plan.config().name(), outDir)).value();
      Path teacher = Path.of(rc.teacher().path());
      if (!Files.isDirectory(teacher)) {
        throw new BadInputException(
            plan.base() + ": teacher.path: " + teacher + " is not a model directory");
      }
      int n = VlmConfigs.read(teacher).stack().numLayers();
      depth.put(r.name(), n);
      for (RunConfig.Student s : r.students()) {
        try {
          HybridLayout.parse(s.layout()).attentionLayers(n);
        } catch (BadInputException e) {
          throw new BadInputException(
              row(plan.at(), r.rows().get(0)) + ": student '" + s.name() + "': " + e.getMessage());
        }
      }
    }
    return depth;
  }

  /** Row {@code i}: the mean over the runs (one per seed) that report it. */
  private static RowResult rowResult(
      Plan plan, int i, Map<String, Map<String, EvalReport>> evals, Map<String, Integer> depth) {
    AblationConfig c = plan.config();
    AblationConfig.Row row = c.rows().get(i);
    String student = c.studentOf(i);
    List<PlannedRun> runs = plan.runs().stream().filter(r -> r.rows().contains(i)).toList();
    List<String> names = new ArrayList<>();
    List<Double> acc = new ArrayList<>();
    double agreement = 0;
    double kl = 0;
    double teacher = 0;
    int n = 0;
    for (PlannedRun run : runs) {
      Map<String, EvalReport> e = evals.get(run.name());
      EvalReport rep = e.get(student);
      EvalReport t = e.get(AblationConfig.TEACHER);
      if (rep == null || t == null) {
        throw new IllegalStateException("run " + run.name() + " has no evaluation of " + student);
      }
      names.add(run.name());
      acc.add(rep.accuracy());
      agreement += rep.agreement() == null ? Double.NaN : rep.agreement() / runs.size();
      kl += rep.kl() == null ? Double.NaN : rep.kl() / runs.size();
      teacher += t.accuracy() / runs.size();
      n = rep.n();
    }
    PlannedRun first = runs.get(0);
    String layout =
        first.students().stream()
            .filter(s -> s.name().equals(student))
            .findFirst()
            .map(s -> describe(HybridLayout.parse(s.layout()), depth.get(first.name())))
            .orElse("teacher (all attention)");
    double mean = acc.stream().mapToDouble(Double::doubleValue).sum() / acc.size();
    return new RowResult(
        row.name(),
        names,
        student,
        layout,
        n,
        mean,
        acc,
        Double.isNaN(agreement) ? null : agreement,
        Double.isNaN(kl) ? null : kl,
        teacher,
        row.paper() == null ? Map.of() : row.paper());
  }

  /** "linear", or the layout with its attention layers, e.g. "head-interleaved:2 [0, 4]". */
  static String describe(HybridLayout l, int numLayers) {
    return l.isLinear() ? l.toString() : l + " " + l.attentionLayers(numLayers);
  }

  private static ArrayNode runsJson(
      Plan plan, Map<String, Double> seconds, Map<String, Boolean> reused) {
    ArrayNode a = JSON.createArrayNode();
    for (PlannedRun r : plan.runs()) {
      ObjectNode o = a.addObject();
      o.put("name", r.name());
      ArrayNode rows = o.putArray("rows");
      r.rows().forEach(i -> rows.add(plan.config().rows().get(i).name()));
      ObjectNode st = o.putObject("students");
      r.students().forEach(s -> st.put(s.name(), s.layout()));
      ArrayNode set = o.putArray("set");
      r.set().forEach(set::add);
      o.put("seconds", seconds.get(r.name()));
      o.put("reused", reused.get(r.name()));
    }
    return a;
  }

  /**
   * True when the marker exists and records the same overrides (so the finished run is this one).
   */
  static boolean finished(Path marker, List<String> overrides) throws IOException {
    if (!Files.exists(marker) || !Files.exists(marker.resolveSibling("eval.json"))) {
      return false;
    }
    List<String> had =
        JSON.convertValue(
            JSON.readTree(marker.toFile()).path("overrides"), new TypeReference<List<String>>() {});
    return overrides.equals(had);
  }

  static Map<String, EvalReport> readEval(Path file) throws IOException {
    return JSON.readValue(file.toFile(), new TypeReference<LinkedHashMap<String, EvalReport>>() {});
  }

  /**
   * The base YAML: relative to the ablation file if it exists there, else to the working directory.
   */
  static Path resolveBase(Path file, String base, YamlConfigs.Located<AblationConfig> at) {
    Path p = Path.of(base);
    if (!p.isAbsolute()) {
      Path beside = file.toAbsolutePath().getParent().resolve(p);
      if (Files.exists(beside)) {
        return beside;
      }
    }
    if (!Files.exists(p)) {
      throw new BadInputException(
          AblationConfig.where(at, "base")
              + ": '"
              + base
              + "' not found beside "
              + file
              + " nor in the working directory");
    }
    return p;
  }

  private static String row(YamlConfigs.Located<AblationConfig> at, int i) {
    return AblationConfig.where(at, "rows[" + i + "]");
  }

  /** A directory name from a row label: lower case, runs of other characters as '-'. */
  static String slug(String s) {
    String t = s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._]+", "-").replaceAll("^-+|-+$", "");
    return t.isEmpty() ? "run" : t;
  }
}
