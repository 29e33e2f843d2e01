package org.mmmamba.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A project that depends on {@code org.mmmamba:mmmamba-distill} builds and runs offline against
 * this build's artifacts: the proof that the library works as a Maven dependency, not only inside
 * this reactor.
 *
 * <p>How, inside {@code mvn -B verify} (where nothing of this build is installed yet, and the test
 * must not install it into the developer's repository):
 *
 * <ol>
 *   <li>A temporary local repository is made: every top-level directory of the real local
 *       repository ({@code -Dmaven.repo.local}, else {@code ~/.m2/repository}) is symlinked into
 *       it, except {@code org/mmmamba}, so third-party dependencies and plugins resolve as usual
 *       while no previously installed mmmamba artifact can stand in for this build's.
 *   <li>This build's artifacts are put there in the installed layout: the parent POM, and the POM
 *       and jar of {@code mmmamba-core} and {@code mmmamba-distill} ({@code target/*.jar} when it
 *       is newer than {@code target/classes}, as in {@code verify}; otherwise a jar of {@code
 *       target/classes}, as in a plain {@code test} run).
 *   <li>The consumer project (test resource {@code consumer/}: a POM with the library and the
 *       native engine it chose, a {@code Main} that loads the bundled teacher through {@code
 *       Models}, converts it and asks it a question); its dependency tree without the engine must
 *       hold no picocli, Logback or pytorch-native-*) is copied to a temporary directory and built
 *       with {@code mvn -B -o -q package} against that repository, which also writes its runtime
 *       class path.
 *   <li>Its {@code Main} runs with {@code java -cp} on exactly that class path (every entry from
 *       the temporary repository) and must print the student's layer layout.
 * </ol>
 *
 * <p>Needs {@code mvn} on the PATH (or {@code MAVEN_HOME}); takes about 15 to 30 seconds.
 */
class ConsumerProjectTest {
  @TempDir Path tmp;

  @Test
  void consumerProjectBuildsAndRunsOffline() throws Exception {
    String version = System.getProperty("mmmamba.version", "0.1.0-SNAPSHOT");
    Path root = Path.of("").toAbsolutePath().getParent();
    Path repo = tmp.resolve("repo");
    linkThirdParty(localRepository(), repo);
    install(repo, "mmmamba-parent", version, root.resolve("pom.xml"), null);
    for (String module : List.of("mmmamba-core", "mmmamba-distill")) {
      install(
          repo,
          module,
          version,
          root.resolve(module).resolve("pom.xml"),
          jarOf(root.resolve(module), module, version));
    }

    Path project = tmp.resolve("consumer");
    copyTree(resource("consumer"), project);
    try {
      buildAndRun(root, repo, project, version);
    } finally {
      unlink(repo);
    }
  }

  private void buildAndRun(Path root, Path repo, Path project, String version) throws Exception {
    Run mvn =
        start(
            List.of(
                maven(),
                "-B",
                "-o",
                "-q",
                "-Dmaven.repo.local=" + repo,
                "-Dmmmamba.version=" + version,
                "-f",
                project.resolve("pom.xml").toString(),
                "package"),
            project);
    String built = finish(mvn, 300, "mvn package of the consumer project");

    String cp = Files.readString(project.resolve("target/classpath.txt")).strip();
    assertTrue(
        cp.contains("mmmamba-distill-" + version + ".jar"),
        "class path lacks mmmamba-distill: " + cp);
    // The library brings no CLI, no logging backend and no native engine: the consumer chose
    // pytorch-native-cpu.
    Run tree =
        start(
            List.of(
                maven(),
                "-B",
                "-o",
                "-q",
                "-Dmaven.repo.local=" + repo,
                "-Dmmmamba.version=" + version,
                "-P",
                "!cpu-engine",
                "-f",
                project.resolve("pom.xml").toString(),
                "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:tree",
                "-DoutputFile=" + project.resolve("target/library-tree.txt")),
            project);
    finish(tree, 300, "mvn dependency:tree of the consumer project without its engine");
    String libraryTree = Files.readString(project.resolve("target/library-tree.txt"));
    assertTrue(libraryTree.contains("mmmamba-distill"), libraryTree);
    for (String unwanted : List.of("picocli", "logback", "pytorch-native")) {
      assertFalse(
          libraryTree.contains(unwanted), "the library brings " + unwanted + ":\n" + libraryTree);
    }
    for (String entry : cp.split(File.pathSeparator)) {
      assertTrue(
          entry.startsWith(repo.toString()),
          "class path entry outside the test repository: " + entry);
    }
    Run java =
        start(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true",
                "-cp",
                project.resolve("target/classes") + File.pathSeparator + cp,
                "org.example.consumer.Main",
                root.resolve("models/shapes-teacher").toString()),
            project);
    String out = finish(java, 180, "the consumer's Main");
    assertTrue(out.contains("teacher layers: AAAAAAAA"), built + out);
    assertTrue(out.contains("student layers: AMMMAMMM"), built + out);
    assertTrue(out.contains("question: "), built + out);
  }

  /**
   * Removes the symlinks (never their targets) so that nothing outside the temporary directory is
   * touched.
   */
  static void unlink(Path repo) throws IOException {
    for (Path dir : List.of(repo, repo.resolve("org"))) {
      try (Stream<Path> s = Files.list(dir)) {
        for (Path p : (Iterable<Path>) s::iterator) {
          if (Files.isSymbolicLink(p)) {
            Files.delete(p);
          }
        }
      }
    }
  }

  /**
   * The developer's local repository: {@code -Dmaven.repo.local}, else {@code ~/.m2/repository}.
   */
  static Path localRepository() {
    String p = System.getProperty("maven.repo.local");
    return p != null && !p.isBlank()
        ? Path.of(p)
        : Path.of(System.getProperty("user.home"), ".m2", "repository");
  }

  /** Symlinks every top-level entry of {@code from} into {@code to}, except org/mmmamba. */
  static void linkThirdParty(Path from, Path to) throws IOException {
    Files.createDirectories(to.resolve("org"));
    try (Stream<Path> top = Files.list(from)) {
      for (Path p : (Iterable<Path>) top::iterator) {
        String name = p.getFileName().toString();
        if (!name.equals("org")) {
          Files.createSymbolicLink(to.resolve(name), p.toAbsolutePath());
        }
      }
    }
    try (Stream<Path> org = Files.list(from.resolve("org"))) {
      for (Path p : (Iterable<Path>) org::iterator) {
        if (!p.getFileName().toString().equals("mmmamba")) {
          Files.createSymbolicLink(
              to.resolve("org").resolve(p.getFileName().toString()), p.toAbsolutePath());
        }
      }
    }
  }

  /** Puts a POM (and jar) where {@code mvn install} would. */
  static void install(Path repo, String artifactId, String version, Path pom, Path jar)
      throws IOException {
    Path dir =
        Files.createDirectories(repo.resolve("org/mmmamba").resolve(artifactId).resolve(version));
    Files.copy(pom, dir.resolve(artifactId + "-" + version + ".pom"));
    if (jar != null) {
      Files.copy(jar, dir.resolve(artifactId + "-" + version + ".jar"));
    }
  }

  /**
   * The module's packaged jar if it is up to date with target/classes, else a jar made of
   * target/classes.
   */
  Path jarOf(Path module, String artifactId, String version) throws IOException {
    Path classes = module.resolve("target/classes");
    if (!Files.isDirectory(classes)) {
      fail(
          classes
              + " is missing: compile the modules first (mvn -o -pl mmmamba-examples -am test)");
    }
    FileTime newest = FileTime.fromMillis(0);
    try (Stream<Path> s = Files.walk(classes)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        FileTime t = Files.getLastModifiedTime(p);
        newest = t.compareTo(newest) > 0 ? t : newest;
      }
    }
    Path packaged = module.resolve("target").resolve(artifactId + "-" + version + ".jar");
    if (Files.exists(packaged) && Files.getLastModifiedTime(packaged).compareTo(newest) >= 0) {
      return packaged;
    }
    Path jar = tmp.resolve(artifactId + ".jar");
    Manifest mf = new Manifest();
    mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), mf);
        Stream<Path> s = Files.walk(classes)) {
      for (Path p : (Iterable<Path>) s.sorted()::iterator) {
        if (Files.isRegularFile(p)) {
          out.putNextEntry(
              new JarEntry(classes.relativize(p).toString().replace(File.separatorChar, '/')));
          Files.copy(p, out);
          out.closeEntry();
        }
      }
    }
    return jar;
  }

  static Path resource(String name) throws URISyntaxException {
    return Path.of(ConsumerProjectTest.class.getClassLoader().getResource(name).toURI());
  }

  static void copyTree(Path from, Path to) throws IOException {
    Files.walkFileTree(
        from,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
              throws IOException {
            Files.createDirectories(to.resolve(from.relativize(dir).toString()));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.copy(file, to.resolve(from.relativize(file).toString()));
            return FileVisitResult.CONTINUE;
          }
        });
  }

  /** {@code mvn} from MAVEN_HOME, M2_HOME or the PATH. */
  static String maven() {
    List<Path> candidates = new ArrayList<>();
    for (String env : List.of("MAVEN_HOME", "M2_HOME")) {
      String home = System.getenv(env);
      if (home != null) {
        candidates.add(Path.of(home, "bin", "mvn"));
      }
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty()) {
        candidates.add(Path.of(dir, "mvn"));
      }
    }
    for (Path c : candidates) {
      if (Files.isExecutable(c)) {
        return c.toString();
      }
    }
    fail("mvn not found on the PATH or in MAVEN_HOME: the consumer-project test needs Maven");
    return null;
  }

  /** A started process and the file its output goes to. */
  record Run(Process process, Path log) {}

  Run start(List<String> cmd, Path dir) throws IOException {
    Path log = Files.createTempFile(tmp, "out-", ".log");
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    Map<String, String> env = pb.environment();
    env.put("JAVA_HOME", System.getProperty("java.home"));
    env.put("DJL_OFFLINE", "true");
    env.put("OPT_OUT_TRACKING", "true");
    return new Run(pb.start(), log);
  }

  /**
   * Waits for the process; returns its output, failing with it when it times out or exits non-zero.
   */
  static String finish(Run run, int seconds, String what) throws Exception {
    Process p = run.process();
    boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    String out = Files.readString(run.log(), StandardCharsets.UTF_8);
    if (!done) {
      fail(what + " did not finish in " + seconds + " s:\n" + out);
    }
    assertEquals(0, p.exitValue(), what + " failed:\n" + out);
    return out;
  }
}
