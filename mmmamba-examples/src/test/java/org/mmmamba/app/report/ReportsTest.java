package org.mmmamba.app.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.Offline;
import org.mmmamba.distill.Distillation;
import org.mmmamba.distill.TinyRuns;

/**
 * The run report of a tiny recipe run: report.json has the quickstart's keys, report.md and
 * loss.png exist.
 */
class ReportsTest {
  static {
    Offline.init();
  }

  @TempDir Path tmp;

  @Test
  void reportHasTheQuickstartKeys() throws Exception {
    Path teacher = TinyRuns.teacher(tmp.resolve("t"));
    Distillation.Result full =
        Distillation.run(
            TinyRuns.distill(teacher, tmp.resolve("full"), List.of()),
            Distillation.Options.defaults());
    Reports.write(full);
    JsonNode r = new ObjectMapper().readTree(tmp.resolve("full/report.json").toFile());
    assertTrue(r.path("teacher").has("accuracy"));
    for (String s : List.of("linear", "hybrid")) {
      assertTrue(r.path(s).has("accuracy") && r.path(s).has("agreement") && r.path(s).has("kl"), s);
    }
    assertEquals(
        full.stage1().finalLoss(), r.path("training").path("stage1").path("final_loss").asDouble());
    assertTrue(Files.exists(tmp.resolve("full/report.md")));
    assertTrue(Files.exists(tmp.resolve("full/loss.png")));
  }
}
