package org.mmmamba.app.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.app.cli.Main;
import org.mmmamba.core.Offline;

/**
 * A full output disk: the child JVM runs in its own mount namespace ({@code unshare -m}) with the
 * run directory on a 640 KiB tmpfs, which fills up in stage 2. The run must fail with exit code 4
 * and one line naming the problem, leave every checkpoint it completed readable and no partial
 * ones; resumed on a roomy disk from what was on the full one, it must end bit for bit where an
 * uninterrupted run ends. Skipped where unshare or mount is not permitted.
 */
@Tag("slow")
class DiskFullTest {
  static {
    Offline.init();
  }

  static final String SCRIPT =
      "mount -t tmpfs -o size=$SIZE tmpfs \"$MNT\" || exit 97\n"
          + "\"$@\"; rc=$?\n"
          + "cp -a \"$MNT/.\" \"$COPY/\"\n"
          + "exit $rc\n";

  @TempDir Path tmp;

  static boolean canMountTmpfs(Path dir) throws Exception {
    Process p =
        new ProcessBuilder(
                "unshare",
                "-m",
                "sh",
                "-c",
                "mount -t tmpfs -o size=64k tmpfs \"$0\"",
                dir.toString())
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    return p.waitFor() == 0;
  }

  @Test
  void aFullDiskFailsCleanlyAndLosesNothing() throws Exception {
    Path mnt = Files.createDirectories(tmp.resolve("mnt"));
    Assumptions.assumeTrue(canMountTmpfs(mnt), "unshare -m / mount -t tmpfs not permitted here");
    Path reference = FaultRuns.reference();
    Path copy = Files.createDirectories(tmp.resolve("copy"));
    Path cfg = Fx.write(tmp.resolve("cfg.yaml"), FaultRuns.yaml(Fx.teacher(), mnt.resolve("out")));
    ProcessBuilder pb =
        CliProcess.builder(
            List.of("unshare", "-m", "sh", "-c", SCRIPT, "sh"),
            List.of(),
            List.of("distill", "--config", cfg.toString()),
            tmp.resolve("log"));
    Map<String, String> env = pb.environment();
    env.put("SIZE", "640k");
    env.put("MNT", mnt.toString());
    env.put("COPY", copy.toString());
    CliProcess.Result r = CliProcess.run(pb, 300);
    assertEquals(Main.IO_ERROR, r.code(), r.toString());
    List<String> lines = r.errorLines();
    assertEquals(1, lines.size(), r.toString());
    assertTrue(
        lines.get(0).startsWith("mmmamba: I/O error: ")
            && lines.get(0).contains("No space left on device"),
        lines.get(0));
    assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
    Path out = copy.resolve("out");
    int checked = FaultRuns.assertCheckpointsLoadable(out, false);
    assertTrue(checked >= 2, "the disk filled before any checkpoint: " + checked);
    System.out.println(
        "DiskFullTest: "
            + lines.get(0)
            + " ("
            + checked
            + " checkpoints intact, progress "
            + FaultRuns.progress(out)
            + "/"
            + FaultRuns.TOTAL_STEPS
            + ")");
    // Resume what the full disk held, on a roomy one.
    Path cfg2 = Fx.write(tmp.resolve("cfg2.yaml"), FaultRuns.yaml(Fx.teacher(), out));
    CliProcess.Result resumed =
        CliProcess.run(
            CliProcess.builder(
                List.of(),
                List.of(),
                List.of("distill", "--config", cfg2.toString(), "--resume"),
                tmp.resolve("log2")),
            300);
    assertEquals(0, resumed.code(), resumed.toString());
    FaultRuns.assertSameResults(reference, out);
  }
}
