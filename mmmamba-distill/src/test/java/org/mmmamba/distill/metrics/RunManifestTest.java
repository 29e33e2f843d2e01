package org.mmmamba.distill.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Offline;

class RunManifestTest {
  static {
    Offline.init();
  }

  static final String A = "1111111111111111111111111111111111111111";
  static final String B = "2222222222222222222222222222222222222222";
  static final String C = "3333333333333333333333333333333333333333";

  @TempDir Path dir;

  @Test
  void sha256OfKnownContent() throws IOException {
    Path f = Files.writeString(dir.resolve("abc.txt"), "abc");
    assertEquals(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", RunManifest.sha256(f));
    Path e = Files.write(dir.resolve("empty"), new byte[0]);
    assertEquals(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", RunManifest.sha256(e));
  }

  @Test
  void theBuildRecordsItsGitCommit() {
    // buildnumber-maven-plugin writes it at build time; this module is always built from a git
    // checkout.
    Properties p = RunManifest.buildProperties();
    assertTrue(
        p.getProperty("git.commit.id", "").matches("[0-9a-f]{40}"), "build-time commit: " + p);
    assertEquals(
        p.getProperty("git.commit.id"),
        RunManifest.builder().env(Map.of()).build().toJson().get("git_commit").asText());
  }

  @Test
  void resumesAreAppendedAndTheOriginalKept() throws IOException {
    Path file = dir.resolve("manifest.json");
    RunManifest first =
        RunManifest.builder()
            .startTime(Instant.parse("2026-01-02T03:04:05Z"))
            .command(List.of("distill", "--config", "run.yaml"))
            .config("seed: 1\n")
            .seed(1)
            .build();
    first.write(file);
    for (int i = 0; i < 2; i++) {
      RunManifest.builder()
          .startTime(Instant.parse("2026-01-0" + (3 + i) + "T00:00:00Z"))
          .command(List.of("distill", "--config", "run.yaml", "--resume"))
          .config("seed: 1\n")
          .seed(1)
          .build()
          .writeResumed(file);
    }
    JsonNode j = new ObjectMapper().readTree(file.toFile());
    assertEquals(
        "2026-01-02T03:04:05Z", j.get("start_time").asText(), "the original start is kept");
    assertEquals(3, j.get("command").size(), "the original command is kept");
    assertEquals(2, j.get("resumes").size());
    assertEquals("2026-01-04T00:00:00Z", j.get("resumes").get(1).get("start_time").asText());
    assertEquals("--resume", j.get("resumes").get(0).get("command").get(3).asText());
    assertTrue(j.get("resumes").get(0).has("versions"));
    // No manifest yet (or an unreadable one): the resumed run's manifest is written as it is.
    Path fresh = dir.resolve("fresh.json");
    first.writeResumed(fresh);
    assertEquals(first.toJsonString(), Files.readString(fresh));
  }

  @Test
  void manifestRecordsEverything() throws IOException {
    Path teacher = Files.createDirectories(dir.resolve("teacher"));
    Files.writeString(teacher.resolve("config.json"), "abc");
    Files.write(teacher.resolve("model.safetensors"), new byte[0]);
    Files.writeString(teacher.resolve("README.md"), "not hashed");
    Properties build = new Properties();
    build.setProperty("git.commit.id", B);
    RunManifest m =
        RunManifest.builder()
            .startTime(Instant.parse("2026-01-02T03:04:05Z"))
            .command(List.of("distill", "--config", "run.yaml"))
            .config("seed: 42\n")
            .seed(42)
            .teacherDir("teacher", teacher)
            .buildInfo(build)
            .env(Map.of("MMMAMBA_ALLOCATOR", "jemalloc"))
            .extra("stage", "all")
            .build();
    Path out = dir.resolve("manifest.json");
    m.write(out);
    JsonNode j = new ObjectMapper().readTree(out.toFile());
    assertEquals("2026-01-02T03:04:05Z", j.get("start_time").asText());
    assertEquals("run.yaml", j.get("command").get(2).asText());
    assertEquals(42, j.get("seed").asLong());
    assertEquals("seed: 42\n", j.get("config").asText());
    assertEquals("0.36.0", j.get("versions").get("djl").asText());
    assertEquals("2.7.1", j.get("versions").get("pytorch").asText());
    assertEquals(System.getProperty("java.version"), j.get("versions").get("java").asText());
    assertEquals(Runtime.getRuntime().availableProcessors(), j.get("system").get("cpus").asInt());
    assertEquals("jemalloc", j.get("system").get("allocator").asText());
    assertEquals(B, j.get("git_commit").asText());
    JsonNode in = j.get("inputs");
    assertEquals(List.of("teacher/config.json", "teacher/model.safetensors"), iterable(in));
    assertEquals(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        in.get("teacher/config.json").get("sha256").asText());
    assertEquals(3, in.get("teacher/config.json").get("bytes").asLong());
    assertEquals("all", j.get("extra").get("stage").asText());

    Properties unknown = new Properties();
    unknown.setProperty("git.commit.id", "unknown");
    RunManifest bare = RunManifest.builder().buildInfo(unknown).env(Map.of()).build();
    assertFalse(bare.toJson().has("git_commit"));
    assertTrue(bare.toJson().get("system").get("allocator").isNull());
    assertThrows(
        BadInputException.class,
        () -> RunManifest.builder().input("x", dir.resolve("missing.bin")).build());
    assertThrows(
        BadInputException.class, () -> RunManifest.builder().teacherDir("t", dir.resolve("nope")));
  }

  private static List<String> iterable(JsonNode n) {
    List<String> out = new java.util.ArrayList<>();
    n.fieldNames().forEachRemaining(out::add);
    return out;
  }
}
