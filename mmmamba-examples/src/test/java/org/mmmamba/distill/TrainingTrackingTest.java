package org.mmmamba.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.app.report.Reports;
import org.mmmamba.core.Offline;
import org.mmmamba.distill.eval.EvalReport;
import org.mmmamba.distill.metrics.TfEvents;

/**
 * What a run leaves for tracking: TensorBoard event files per stage and student (decoded by the
 * test's own reader, values equal to metrics.jsonl's), mid-run evaluation with {@code eval.every}
 * (its last point equal to the separate final evaluation on the same {@code eval.limit} samples)
 * and the best step in report.json.
 */
class TrainingTrackingTest {
  static {
    Offline.init();
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path tmp;
  static Path teacher;
  static Path out;
  static Distillation.Result result;

  @BeforeAll
  static void runOnce() throws Exception {
    teacher = TinyRuns.teacher(tmp.resolve("t"));
    out = tmp.resolve("run");
    result =
        Distillation.run(
            TinyRuns.distill(teacher, out, List.of("eval.every=2", "eval.limit=6")),
            Distillation.Options.defaults());
    Reports.write(result);
  }

  @Test
  void everyStageAndStudentHasEventsEqualToItsMetrics() throws Exception {
    Map<String, String> runs =
        Map.of(
            "stage1",
            "stage1/train",
            "stage2",
            "stage2/train",
            "linear",
            "students/linear/train",
            "hybrid",
            "students/hybrid/train");
    for (Map.Entry<String, String> e : runs.entrySet()) {
      List<TfEvents.Event> events = TfEvents.readDir(out.resolve("tb").resolve(e.getKey()));
      assertEquals("brain.Event:2", events.get(0).fileVersion(), e.getKey());
      List<JsonNode> steps = new ArrayList<>();
      for (String line :
          Files.readAllLines(
              out.resolve(e.getValue()).resolve("metrics.jsonl"), StandardCharsets.UTF_8)) {
        JsonNode n = JSON.readTree(line);
        if (!n.has("event")) {
          steps.add(n);
        }
      }
      List<TfEvents.Event> train =
          events.stream().filter(x -> x.scalars().containsKey("train/loss")).toList();
      assertEquals(4, steps.size(), e.getKey());
      assertEquals(steps.size(), train.size(), e.getKey());
      for (int i = 0; i < steps.size(); i++) {
        JsonNode m = steps.get(i);
        TfEvents.Event t = train.get(i);
        assertEquals(m.get("step").asLong(), t.step(), e.getKey());
        assertEquals((float) m.get("loss").asDouble(), t.scalars().get("train/loss"), e.getKey());
        assertEquals((float) m.get("lr").asDouble(), t.scalars().get("train/lr"), e.getKey());
        assertEquals(
            (float) m.get("grad_norm").asDouble(), t.scalars().get("train/grad_norm"), e.getKey());
        assertEquals(0f, t.scalars().get("train/skipped_steps"), e.getKey());
        assertTrue(t.scalars().get("train/tokens_per_s") > 0, e.getKey());
        assertTrue(t.scalars().get("train/rss_gib") > 0.01, e.getKey());
      }
      boolean student = e.getValue().startsWith("students");
      List<TfEvents.Event> evals =
          events.stream().filter(x -> x.scalars().containsKey("eval/exact_match")).toList();
      assertEquals(
          student ? List.of(2L, 4L) : List.of(),
          evals.stream().map(TfEvents.Event::step).toList(),
          e.getKey() + ": eval points only in stage 3, every 2 steps");
    }
  }

  @Test
  void lastMidRunPointEqualsTheFinalEvaluationAndTheBestStepIsRecorded() throws Exception {
    JsonNode report = JSON.readTree(out.resolve("report.json").toFile());
    for (String s : List.of("linear", "hybrid")) {
      List<JsonNode> pts = new ArrayList<>();
      for (String line :
          Files.readAllLines(out.resolve("students/" + s + "/train/metrics.jsonl"))) {
        JsonNode n = JSON.readTree(line);
        if ("eval".equals(n.path("event").asText())) {
          pts.add(n);
        }
      }
      assertEquals(2, pts.size(), s);
      JsonNode last = pts.get(1);
      EvalReport fin = result.eval().get(s);
      assertEquals(6, fin.n());
      assertEquals(fin.accuracy(), last.get("exact_match").asDouble(), 1e-12, s);
      assertEquals(fin.agreement(), last.get("agreement").asDouble(), 1e-12, s);
      assertEquals(fin.kl(), last.get("kl").asDouble(), 1e-9, s);
      // The best step: highest exact match, then agreement, then lowest KL, then earliest.
      JsonNode a = pts.get(0);
      int c = Double.compare(a.get("exact_match").asDouble(), last.get("exact_match").asDouble());
      c =
          c != 0
              ? c
              : Double.compare(a.get("agreement").asDouble(), last.get("agreement").asDouble());
      c = c != 0 ? c : -Double.compare(a.get("kl").asDouble(), last.get("kl").asDouble());
      long want = c >= 0 ? 2 : 4;
      JsonNode cur = report.path("training").path("stage3:" + s).path("eval_during_training");
      assertEquals(want, cur.path("best_step").asLong(), s);
      assertEquals(2, cur.path("points").size(), s);
    }
  }

  @Test
  void withoutEvalEveryThereAreNoMidRunPoints() throws Exception {
    assertFalse(Files.readString(out.resolve("stage1/train/metrics.jsonl")).contains("\"eval\""));
    JsonNode report = JSON.readTree(out.resolve("report.json").toFile());
    assertFalse(report.path("training").path("stage1").has("eval_during_training"));
  }

  /** The YAML front matter of a model card, parsed by Jackson's YAML reader. */
  static JsonNode frontMatter(Path readme) throws Exception {
    String text = Files.readString(readme);
    assertTrue(text.startsWith("---\n"), readme + " starts with front matter");
    int end = text.indexOf("\n---\n", 4);
    assertTrue(end > 0, readme + ": front matter closed");
    return new ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
        .readTree(text.substring(4, end));
  }

  @Test
  void everySavedModelHasACardWithItsHeldOutFigures() throws Exception {
    for (String s : List.of("linear", "hybrid")) {
      Path readme = out.resolve("students/" + s + "/model/README.md");
      JsonNode fm = frontMatter(readme);
      assertEquals("apache-2.0", fm.path("license").asText());
      assertEquals("mmmamba-java", fm.path("library_name").asText());
      assertTrue(fm.path("tags").toString().contains("distillation"), fm.toString());
      JsonNode metrics = fm.path("model-index").path(0).path("results").path(0).path("metrics");
      EvalReport e = result.eval().get(s);
      assertEquals("exact_match", metrics.path(0).path("type").asText());
      assertEquals(e.accuracy(), metrics.path(0).path("value").asDouble(), 1e-3, s);
      assertEquals(e.agreement(), metrics.path(1).path("value").asDouble(), 1e-3, s);
      assertEquals(
          e.kl(), metrics.path(2).path("value").asDouble(), Math.abs(e.kl()) * 1e-3 + 1e-9, s);
      String body = Files.readString(readme);
      assertTrue(body.contains("| teacher | `" + teacher + "` |"), body);
      assertTrue(
          body.contains(
              "| layout | " + (s.equals("linear") ? "linear" : "head-interleaved:1") + " |"),
          body);
      assertTrue(body.contains("| stage 3 (end to end: KL on the logits) | 4 steps"), body);
      assertTrue(body.contains("| stage 1 (distill the new"), body);
      assertTrue(
          body.contains("| precision | float32 |") && body.contains("| device | cpu() |"), body);
      assertTrue(body.contains("lr 0.001, wsd schedule"), body);
      assertTrue(body.contains("| data | builtin:shapes (synthetic, 48 training samples) |"), body);
      assertTrue(body.contains("| command | `"), body);
    }
    JsonNode t = frontMatter(teacher.resolve("README.md"));
    assertTrue(t.path("tags").toString().contains("teacher"), t.toString());
    String tb = Files.readString(teacher.resolve("README.md"));
    assertTrue(tb.contains("| command | `mmmamba train-teacher --config "), tb);
    assertTrue(tb.contains("| training (cross-entropy) | 6 steps"), tb);
    Path conv = tmp.resolve("converted");
    org.mmmamba.core.api.Models.convert(
        teacher,
        org.mmmamba.core.config.HybridLayout.linear(),
        org.mmmamba.core.seed.InitStrategy.INHERIT_MIMIC,
        3,
        conv);
    org.mmmamba.distill.card.Cards.writeConverted(
        conv,
        teacher,
        "linear",
        "inherit_mimic, seed 3",
        null,
        "mmmamba convert --teacher "
            + teacher
            + " --layout linear --init inherit_mimic --seed 3 --out "
            + conv);
    String cb = Files.readString(conv.resolve("README.md"));
    assertTrue(cb.contains("| training | none (weights as initialised) |"), cb);
    assertTrue(cb.contains("| initialisation | inherit_mimic, seed 3 |"), cb);
    assertEquals(
        "mmmamba-java", frontMatter(conv.resolve("README.md")).path("library_name").asText());
  }
}
