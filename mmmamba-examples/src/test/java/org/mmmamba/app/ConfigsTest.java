package org.mmmamba.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.mmmamba.app.ablate.Ablation;
import org.mmmamba.app.bench.BenchConfig;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.config.VlmConfigs;
import org.mmmamba.distill.recipe.Recipes;
import org.mmmamba.distill.recipe.RunConfig;
import org.mmmamba.distill.teacher.TeacherTraining;

/**
 * Every YAML under configs/ loads and validates with its loader: bench configs (configs/bench/)
 * with {@link BenchConfig}, teacher configs (configs/teacher/) with {@link TeacherTraining},
 * ablation files (a top-level {@code rows} key) with {@link Ablation#load} (which also loads every
 * run each plans), everything else as a distillation run with {@link Recipes}, whose student
 * layouts must parse and, when the teacher is in the checkout, fit its depth.
 */
class ConfigsTest {
  static {
    Offline.init();
  }

  /**
   * The repository root: the first directory upwards from the working directory holding configs/.
   */
  static Path repo() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("configs"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("configs/ not found above " + Path.of("").toAbsolutePath());
    }
    return dir;
  }

  enum Kind {
    BENCH,
    TEACHER,
    ABLATION,
    RUN
  }

  static Kind kind(Path configs, Path file) throws Exception {
    String top = configs.relativize(file).getName(0).toString();
    if (top.equals("bench")) {
      return Kind.BENCH;
    }
    if (top.equals("teacher")) {
      return Kind.TEACHER;
    }
    JsonNode n = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
    return n != null && n.has("rows") ? Kind.ABLATION : Kind.RUN;
  }

  @Test
  void everyConfigLoadsAndValidates() throws Exception {
    Path repo = repo();
    Path configs = repo.resolve("configs");
    List<Path> files;
    try (Stream<Path> s = Files.walk(configs)) {
      files =
          s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
              .sorted()
              .toList();
    }
    Map<Kind, List<String>> seen = new TreeMap<>();
    List<String> errors = new ArrayList<>();
    for (Path f : files) {
      Kind k = kind(configs, f);
      seen.computeIfAbsent(k, x -> new ArrayList<>()).add(configs.relativize(f).toString());
      try {
        switch (k) {
          case BENCH -> BenchConfig.load(f);
          case TEACHER -> TeacherTraining.load(f, List.of());
          case ABLATION -> assertFalse(Ablation.load(f, List.of()).runs().isEmpty());
          default -> checkRun(repo, Recipes.load(f, List.of()).value());
        }
      } catch (Exception | AssertionError e) {
        errors.add(configs.relativize(f) + ": " + e.getMessage());
      }
    }
    if (!errors.isEmpty()) {
      fail(String.join("\n", errors));
    }
    for (Kind k : Kind.values()) {
      assertTrue(seen.containsKey(k), "no " + k + " config found; classified: " + seen);
    }
    assertEquals(4, seen.get(Kind.ABLATION).size(), seen.toString());
    assertTrue(
        seen.get(Kind.RUN)
            .containsAll(
                List.of(
                    "quickstart.yaml",
                    "ablations/base.yaml",
                    "paper/hovle-mmmamba-linear.yaml",
                    "paper/hovle-mmmamba-hybrid.yaml")),
        seen.toString());
  }

  static void checkRun(Path repo, RunConfig c) {
    Path teacher = repo.resolve(c.teacher().path());
    for (RunConfig.Student s : c.students()) {
      HybridLayout layout = HybridLayout.parse(s.layout());
      if (Files.exists(teacher.resolve("config.json"))) {
        layout.attentionLayers(VlmConfigs.read(teacher).stack().numLayers());
      }
    }
  }

  @Test
  void paperReplicasUseTheReleasedHyperparameters() {
    Path paper = repo().resolve("configs/paper");
    for (String f : List.of("hovle-mmmamba-linear.yaml", "hovle-mmmamba-hybrid.yaml")) {
      RunConfig c = Recipes.load(paper.resolve(f), List.of()).value();
      RunConfig.Stages s = c.stages();
      assertEquals(
          List.of(1e-3, 5e-4, 5e-5), List.of(s.stage1().lr(), s.stage2().lr(), s.stage3().lr()), f);
      assertEquals(
          List.of(64, 64, 32),
          List.of(
              s.stage1().batchSize() * s.stage1().gradAccum(),
              s.stage2().batchSize() * s.stage2().gradAccum(),
              s.stage3().batchSize() * s.stage3().gradAccum()),
          f);
      assertEquals(
          List.of(20000, 20000, 20000),
          List.of(s.stage1().steps(), s.stage2().steps(), s.stage3().steps()));
      assertEquals(
          List.of(2000, 16000, 2000),
          List.of(
              s.stage1().schedule().warmup(),
              s.stage1().schedule().stable(),
              s.stage1().schedule().decay()));
      assertEquals(
          List.of(5000, 40000, 5000),
          List.of(
              s.stage2().schedule().warmup(),
              s.stage2().schedule().stable(),
              s.stage2().schedule().decay()));
      for (RunConfig.Stage st : List.of(s.stage1(), s.stage2(), s.stage3())) {
        assertEquals(0.05, st.weightDecay(), f);
        assertEquals(2.0, st.clip(), f);
      }
      assertEquals(1000.0, s.stage1().lossScale());
      assertEquals(8192, c.data().maxTokens());
      assertEquals(1.0, s.stage3().temperature());
    }
    RunConfig hybrid = Recipes.load(paper.resolve("hovle-mmmamba-hybrid.yaml"), List.of()).value();
    assertEquals(
        List.of(0, 4, 8, 12, 16, 20, 24, 28),
        HybridLayout.parse(hybrid.students().get(0).layout()).attentionLayers(32));
  }
}
