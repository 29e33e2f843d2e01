package org.mmmamba.app.ablate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.Offline;
import org.mmmamba.distill.TinyRuns;

/**
 * A tiny ablation end to end: rows that differ only in the student share one run, a row with its
 * own override gets its own run (and the override takes effect), every row reports its run's
 * evaluation, the rank correlation is computed from those numbers, and --resume reuses finished
 * runs.
 */
class AblationTest {
  static {
    Offline.init();
  }

  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  static Path file;
  static Ablation.Result result;

  @BeforeAll
  static void runOnce() throws Exception {
    Path teacher = TinyRuns.teacher(tmp.resolve("t"));
    TinyRuns.distill(teacher, tmp.resolve("base"), List.of()); // writes tmp/base.yaml
    file = tmp.resolve("tiny.yaml");
    Files.writeString(
        file,
        String.join(
            "\n",
            "name: tiny",
            "title: Tiny ablation",
            "base: base.yaml",
            "metric: MME",
            "set: ['stages.stage1.steps=2', 'stages.stage2.steps=2', 'stages.stage3.steps=2']",
            "paper_teacher: {MME: 10, POPE: 4}",
            "rows:",
            "  - {name: all, paper: {MME: 5, POPE: 2}}",
            "  - {name: hybrid, student: hybrid, paper: {MME: 8, POPE: 1}}",
            "  - {name: no stage 1, set: ['stages.stage1.enabled=false'], paper: {MME: 3, POPE: 3}}",
            "  - {name: teacher, student: teacher, paper: {MME: 10}}",
            ""));
    result =
        Ablation.run(
            Ablation.load(file, List.of()), tmp.resolve("out"), new Ablation.Options(false, false));
  }

  @Test
  void rowsReportTheirRunsEvaluation() throws Exception {
    Path out = tmp.resolve("out");
    JsonNode shared = JSON.readTree(out.resolve("runs/all/eval.json").toFile());
    JsonNode own = JSON.readTree(out.resolve("runs/no-stage-1/eval.json").toFile());
    List<RowResult> rows = result.rows();
    assertEquals(shared.path("linear").path("accuracy").asDouble(), rows.get(0).accuracy());
    assertEquals(shared.path("hybrid").path("accuracy").asDouble(), rows.get(1).accuracy());
    assertEquals(own.path("linear").path("accuracy").asDouble(), rows.get(2).accuracy());
    assertEquals(shared.path("teacher").path("accuracy").asDouble(), rows.get(3).accuracy());
    assertEquals(shared.path("linear").path("kl").asDouble(), rows.get(0).kl());
    assertEquals("head-interleaved:1 [0]", rows.get(1).layout());
    assertEquals("teacher (all attention)", rows.get(3).layout());
    assertEquals(
        List.of("all", "all", "no-stage-1", "all"),
        rows.stream().map(r -> r.runs().get(0)).toList());
    // The shared run trained both students; the other only the one its row names, without stage 1.
    assertTrue(Files.exists(out.resolve("runs/all/students/hybrid/model/config.json")));
    assertFalse(Files.exists(out.resolve("runs/no-stage-1/students/hybrid")));
    assertTrue(Files.exists(out.resolve("runs/all/stage1/mixers.safetensors")));
    assertFalse(Files.exists(out.resolve("runs/no-stage-1/stage1/mixers.safetensors")));
    assertTrue(Files.exists(out.resolve("runs/no-stage-1/stage2/mixers.safetensors")));
  }

  @Test
  void reportHasRanksAndSpearmanFromTheRows() throws Exception {
    Path out = tmp.resolve("out");
    JsonNode j = JSON.readTree(out.resolve("ablation.json").toFile());
    double[] ours = result.rows().stream().mapToDouble(RowResult::accuracy).toArray();
    assertEquals(
        Ranks.spearman(ours, new double[] {5, 8, 3, 10}),
        j.path("spearman").path("MME").path("rho").asDouble(Double.NaN),
        1e-12);
    assertEquals(4, j.path("spearman").path("MME").path("n").asInt());
    double[] negKl =
        result.rows().stream().mapToDouble(r -> r.kl() == null ? 0 : -r.kl()).toArray();
    assertEquals(
        Ranks.spearman(negKl, new double[] {5, 8, 3, 10}),
        j.path("spearman").path("MME").path("rho_kl").asDouble(Double.NaN),
        1e-12);
    assertEquals(3, j.path("spearman").path("POPE").path("n").asInt());
    assertEquals(1.0, j.path("rows").get(3).path("paper_rank").path("MME").asDouble());
    assertEquals(0.5, j.path("rows").get(0).path("paper_vs_teacher").path("MME").asDouble(), 1e-12);
    assertFalse(j.path("rows").get(3).path("paper_rank").has("POPE"));
    assertEquals(2, j.path("runs").size());
    String md = Files.readString(out.resolve("ablation.md"));
    assertTrue(md.startsWith("# Tiny ablation"), md);
    assertTrue(md.contains("| no stage 1 | linear |"), md);
    assertTrue(md.contains("paper MME (rank)") && md.contains("Spearman"), md);
    assertTrue(Files.size(out.resolve("ablation.png")) > 1000);
  }

  @Test
  void seedsRepeatEveryRunInAChildJvmAndRowsReportTheMean() throws Exception {
    Path f = tmp.resolve("seeds.yaml");
    Files.writeString(
        f,
        String.join(
            "\n",
            "name: seeds",
            "base: base.yaml",
            "set: ['stages.stage1.steps=2', 'stages.stage2.steps=2', 'stages.stage3.steps=2']",
            "seeds: [1, 2]",
            "rows:",
            "  - {name: linear, paper: {MME: 1}}",
            "  - {name: teacher, student: teacher, paper: {MME: 2}}",
            ""));
    Path out = tmp.resolve("seeds-out");
    Ablation.Result r = Ablation.run(f, out, false); // each run in a child JVM
    RowResult linear = r.rows().get(0);
    assertEquals(List.of("shared-seed1", "shared-seed2"), linear.runs());
    double a1 =
        JSON.readTree(out.resolve("runs/shared-seed1/eval.json").toFile())
            .path("linear")
            .path("accuracy")
            .asDouble();
    double a2 =
        JSON.readTree(out.resolve("runs/shared-seed2/eval.json").toFile())
            .path("linear")
            .path("accuracy")
            .asDouble();
    assertEquals(List.of(a1, a2), linear.seedAccuracies());
    assertEquals((a1 + a2) / 2, linear.accuracy(), 1e-12);
    JsonNode cfg =
        new ObjectMapper(new YAMLFactory())
            .readTree(out.resolve("runs/shared-seed2/config.yaml").toFile());
    assertEquals(2, cfg.path("run").path("seed").asInt());
    assertEquals(2, cfg.path("data").path("shuffle_seed").asInt());
    assertTrue(
        Files.readString(out.resolve("ablation.md")).contains("mean of 2 training seeds [1, 2]"));
  }

  @Test
  void resumeReusesFinishedRuns() throws Exception {
    Ablation.Result again =
        Ablation.run(
            Ablation.load(file, List.of()), tmp.resolve("out"), new Ablation.Options(true, false));
    assertEquals(result.rows(), again.rows());
    again
        .report()
        .path("runs")
        .forEach(r -> assertTrue(r.path("reused").asBoolean(), r.toString()));
  }
}
