package org.mmmamba.app.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.Offline;

/**
 * {@code kill -9} of a child JVM running a distillation, three times at random points (after a
 * random number of steps plus a random delay, so kills land inside steps and inside checkpoint
 * writes), each followed by {@code --resume}: after every kill each checkpoint on disk is complete
 * and readable, and the final student, the stage results and the metrics equal an uninterrupted
 * run's bit for bit. The points come from {@code -Drobustness.killSeed} (default: a fresh seed,
 * printed, so a failure can be replayed).
 */
@Tag("slow")
class KillResumeTest {
  static {
    Offline.init();
  }

  @TempDir Path tmp;

  @Test
  void killedThreeTimesThenResumedEqualsUninterrupted() throws Exception {
    Path reference = FaultRuns.reference();
    long seed = Long.getLong("robustness.killSeed", System.nanoTime());
    System.out.println("KillResumeTest: -Drobustness.killSeed=" + seed);
    Random rnd = new Random(seed);
    TreeSet<Integer> targets = new TreeSet<>();
    while (targets.size() < 3) {
      targets.add(1 + rnd.nextInt(FaultRuns.TOTAL_STEPS - 4));
    }
    Path cfg = FaultRuns.config(tmp);
    Path out = tmp.resolve("out");
    List<String> report = new ArrayList<>();
    int i = 0;
    for (int target : targets) {
      List<String> args = new ArrayList<>(List.of("distill", "--config", cfg.toString()));
      if (i > 0) {
        args.add("--resume");
      }
      ProcessBuilder pb = CliProcess.builder(List.of(), List.of(), args, tmp.resolve("log" + i));
      Process p = pb.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (p.isAlive() && FaultRuns.progress(out) < target && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      Thread.sleep(rnd.nextInt(60));
      int at = FaultRuns.progress(out);
      p.destroyForcibly(); // SIGKILL
      int code = p.waitFor();
      assertEquals(
          137,
          code,
          "the child was not killed (it ended by itself?): " + CliProcess.result(pb, code));
      int checked = FaultRuns.assertCheckpointsLoadable(out, true);
      report.add(
          "kill "
              + (i + 1)
              + " at ~"
              + at
              + "/"
              + FaultRuns.TOTAL_STEPS
              + " steps (target "
              + target
              + "): "
              + checked
              + " checkpoints readable");
      i++;
    }
    CliProcess.Result last =
        CliProcess.run(
            CliProcess.builder(
                List.of(),
                List.of(),
                List.of("distill", "--config", cfg.toString(), "--resume"),
                tmp.resolve("log-final")),
            300);
    assertEquals(0, last.code(), last.toString());
    report.forEach(r -> System.out.println("KillResumeTest: " + r));
    FaultRuns.assertCheckpointsLoadable(out, false);
    FaultRuns.assertSameResults(reference, out);
    assertTrue(Files.exists(out.resolve("students/hybrid/model/config.json")));
  }
}
