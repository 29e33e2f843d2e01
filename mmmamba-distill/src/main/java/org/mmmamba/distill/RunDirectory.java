package org.mmmamba.distill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.stream.Stream;
import org.mmmamba.core.BadInputException;

/**
 * Guards of a run's output directory, checked before a run writes anything: a fresh run never lands
 * on top of an earlier one (whose checkpoints it would silently replace), and a resumed run
 * continues with the teacher it started with.
 */
public final class RunDirectory {
  private RunDirectory() {}

  /**
   * A fresh run ({@code resume} false) needs a missing or empty {@code out}, unless {@code force}.
   *
   * @param where names the config key in the message (e.g. "cfg.yaml:3: run.out_dir")
   * @throws BadInputException if {@code out} is a file, or holds something and neither flag is set
   */
  public static void checkFresh(Path out, boolean resume, boolean force, String where) {
    if (!Files.exists(out)) {
      return;
    }
    if (!Files.isDirectory(out)) {
      throw new BadInputException(where + ": " + out + " is a file, expected a directory");
    }
    if (resume || force) {
      return;
    }
    try (Stream<Path> s = Files.list(out)) {
      if (s.findAny().isPresent()) {
        throw new BadInputException(
            where
                + ": "
                + out
                + " already holds a run; pass --resume to continue it or "
                + "--force to start afresh (its checkpoints are then replaced)");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + out + ": " + e, e);
    }
  }

  /**
   * On resume: every {@code teacher/...} input recorded in the run's existing {@code manifest.json}
   * must have the same SHA-256 in {@code current} (the manifest about to be written). No old
   * manifest: nothing to check.
   *
   * @throws BadInputException naming the manifest and the first file that differs
   */
  public static void checkSameInputs(Path oldManifest, JsonNode current, String labelPrefix) {
    if (!Files.isRegularFile(oldManifest)) {
      return;
    }
    JsonNode old;
    try {
      old = new ObjectMapper().readTree(oldManifest.toFile());
    } catch (IOException e) {
      throw new BadInputException(
          oldManifest + ": not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
    }
    JsonNode was = old == null ? null : old.get("inputs");
    JsonNode now = current.get("inputs");
    if (was == null || now == null) {
      return;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = was.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getKey().startsWith(labelPrefix)) {
        continue;
      }
      JsonNode n = now.get(e.getKey());
      String a = e.getValue().path("sha256").asText();
      String b = n == null ? "(missing)" : n.path("sha256").asText();
      if (!a.equals(b)) {
        throw new BadInputException(
            oldManifest
                + ": "
                + labelPrefix.replace("/", "")
                + " file "
                + e.getKey().substring(labelPrefix.length())
                + " differs from the one this run started with (sha256 "
                + abbrev(a)
                + " then, "
                + abbrev(b)
                + " now); resume with the same teacher or start a new run");
      }
    }
  }

  private static String abbrev(String h) {
    return h.length() > 12 ? h.substring(0, 12) : h;
  }
}
