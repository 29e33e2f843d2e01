package org.mmmamba.app.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.Offline;

/**
 * No network and no surprises. convert, logits and the quickstart path (tiny config, with
 * evaluation and the report) run in child JVMs inside {@code unshare -n} (only a loopback
 * interface, down) under {@code strace -f}, with none of the launcher's offline flags or variables
 * (only the library's own {@link Offline#init} keeps DJL offline), HOME, user.home, java.io.tmpdir
 * and the working directory in fresh temp directories and DJL_CACHE_DIR on the machine's cache.
 * Each must succeed, make no {@code connect()} to an internet address, print nothing about
 * downloads, and create, write, rename or delete files only in its outputs and the DJL cache.
 * Skipped where unshare -n is not permitted; the write check needs strace.
 */
@Tag("slow")
class NoNetworkTest {
  static {
    Offline.init();
  }

  @TempDir Path tmp;

  static boolean works(String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor() == 0;
    } catch (Exception e) {
      return false;
    }
  }

  /** One command run offline; returns its syscall trace file (or null without strace). */
  Path runOffline(String name, List<String> args, Set<Path> allowedRoots, boolean strace)
      throws Exception {
    Path trace = tmp.resolve("trace-" + name);
    List<String> prefix = new ArrayList<>(List.of("unshare", "-n"));
    if (strace) {
      prefix.addAll(
          List.of(
              "strace",
              "-f",
              "-qq",
              "-o",
              trace.toString(),
              "-e",
              "trace=connect,sendto,sendmsg,open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,"
                  + "unlinkat,rmdir,link,linkat,symlink,symlinkat,truncate"));
    }
    // The JVM of the launcher minus its offline settings: only the library may keep DJL offline.
    List<String> cmd = new ArrayList<>(prefix);
    cmd.addAll(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx1g",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-XX:-UsePerfData",
            "-Djava.io.tmpdir=" + tmp.resolve("javatmp"),
            "-Duser.home=" + tmp.resolve("home"),
            "-Dai.djl.pytorch.num_threads=1",
            "-cp",
            CliProcess.classpath(),
            "org.mmmamba.app.cli.Main"));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.resolve("work").toFile());
    Map<String, String> env = pb.environment();
    env.keySet()
        .removeIf(
            k -> k.startsWith("DJL_") || k.equals("OPT_OUT_TRACKING") || k.startsWith("XDG_"));
    env.put("HOME", tmp.resolve("home").toString());
    env.put("DJL_CACHE_DIR", cacheDir().toString());
    env.put("OMP_NUM_THREADS", "1");
    env.put("MMMAMBA_HOME", tmp.resolve("mhome").toString());
    Path log = tmp.resolve("log-" + name);
    pb.redirectOutput(log.toFile()).redirectError(Path.of(log + ".err").toFile());
    CliProcess.Result r = CliProcess.run(pb, 300);
    assertEquals(0, r.code(), name + ": " + r);
    for (String bad : List.of("ownload", "telemetry", "UnknownHost", "Network is unreachable")) {
      assertFalse(
          r.err().contains(bad) || r.out().contains(bad), name + " mentions '" + bad + "': " + r);
    }
    return strace ? trace : null;
  }

  static Path cacheDir() {
    String c = System.getenv("DJL_CACHE_DIR");
    return c != null ? Path.of(c) : Path.of(System.getProperty("user.home"), ".djl.ai");
  }

  static final Pattern CONNECT =
      Pattern.compile("connect\\(\\d+, \\{sa_family=(AF_[A-Z0-9]+)[^}]*\\}");
  static final Pattern PATH_CALL =
      Pattern.compile(
          "^\\d+\\s+(\\w+)\\((?:AT_FDCWD|\\d+), \"([^\"]*)\"(?:, (?:AT_FDCWD|\\d+), \"([^\"]*)\")?(.*)$");
  static final Pattern OPEN =
      Pattern.compile("^\\d+\\s+(open|openat|creat)\\((?:AT_FDCWD, )?\"([^\"]*)\", ([A-Z_|]+)");

  /** Internet connects and writes outside {@code allowed}, from an strace log; empty when clean. */
  static List<String> surprises(Path trace, Path cwd, Set<Path> allowed) throws Exception {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(trace)) {
      Matcher c = CONNECT.matcher(line);
      if (c.find() && !c.group(1).equals("AF_UNIX")) {
        out.add("network: " + line);
        continue;
      }
      List<String> written = new ArrayList<>();
      Matcher o = OPEN.matcher(line);
      if (o.find()) {
        String flags = o.group(3);
        if (o.group(1).equals("creat")
            || flags.contains("O_WRONLY")
            || flags.contains("O_RDWR")
            || flags.contains("O_CREAT")
            || flags.contains("O_TRUNC")) {
          written.add(o.group(2));
        }
      } else {
        Matcher m = PATH_CALL.matcher(line);
        if (m.find()
            && Set.of(
                    "mkdir",
                    "mkdirat",
                    "rename",
                    "renameat",
                    "renameat2",
                    "unlink",
                    "unlinkat",
                    "rmdir",
                    "link",
                    "linkat",
                    "symlink",
                    "symlinkat",
                    "truncate")
                .contains(m.group(1))) {
          written.add(m.group(2));
          if (m.group(3) != null) {
            written.add(m.group(3));
          }
        }
      }
      for (String w : written) {
        if (line.contains("= -1 ")) {
          continue; // failed calls change nothing (e.g. mkdir of an existing directory)
        }
        Path p = cwd.resolve(w).normalize();
        boolean jvmOwn =
            p.equals(Path.of("/dev/null"))
                || p.equals(Path.of("/dev/tty"))
                || p.startsWith("/proc/self"); // e.g. HotSpot's /proc/self/coredump_filter
        if (!jvmOwn && allowed.stream().noneMatch(p::startsWith)) {
          out.add("write: " + p + "   <- " + line);
        }
      }
    }
    return out;
  }

  @Test
  void convertLogitsAndQuickstartRunOfflineAndWriteOnlyTheirOutputs() throws Exception {
    Assumptions.assumeTrue(works("unshare", "-n", "true"), "unshare -n is not permitted here");
    boolean strace =
        works(
            "unshare",
            "-n",
            "strace",
            "-f",
            "-qq",
            "-o",
            "/dev/null",
            "-e",
            "trace=connect",
            "true");
    for (String d : List.of("home", "work", "javatmp", "mhome/models", "in", "out")) {
      Files.createDirectories(tmp.resolve(d));
    }
    Path llama = Fx.llama(tmp.resolve("in/llama"));
    Fx.copy(Fx.teacher(), tmp.resolve("mhome/models/shapes-teacher"));
    Path ids = Fx.write(tmp.resolve("in/ids.json"), BadInputCases.GOOD_IDS);
    Path student = tmp.resolve("out/student");
    Path logits = tmp.resolve("out/logits/l.safetensors");
    Files.createDirectories(logits.getParent());
    Path runOut = tmp.resolve("out/quickstart");
    Path cfg =
        Fx.write(
            tmp.resolve("in/tiny.yaml"),
            BadInputCases.distillYaml(Path.of("ignored"), runOut)
                .replace(
                    "eval: {enabled: false}",
                    "eval: {enabled: true, max_new_tokens: 2, limit: 4}"));
    Path cache = cacheDir().toAbsolutePath().normalize();
    // The one write the JVM itself makes: Java2D's font configuration cache (once per JDK, when the
    // report's
    // plot first renders text). Not the library's; documented in docs/robustness.md.
    Path fontCache = tmp.resolve("home/.java/fonts");
    Map<String, String> before = Fx.snapshot(tmp.resolve("home"));
    List<String> problems = new ArrayList<>();
    String[][] runs = {
      {
        "convert",
        "convert",
        "--teacher",
        llama.toString(),
        "--layout",
        "head-interleaved:2",
        "--out",
        student.toString()
      },
      {
        "logits",
        "logits",
        "--model",
        student.toString(),
        "--input-ids",
        ids.toString(),
        "--out",
        logits.toString(),
        "--device",
        "cpu"
      },
      {"quickstart", "quickstart", "--config", cfg.toString()}
    };
    Path[] outputs = {student, logits.getParent(), runOut};
    for (int i = 0; i < runs.length; i++) {
      Set<Path> allowed = new TreeSet<>(List.of(outputs[i], cache, fontCache));
      String name = runs[i][0];
      Path trace = runOffline(name, List.of(runs[i]).subList(1, runs[i].length), allowed, strace);
      if (trace != null) {
        surprises(trace, tmp.resolve("work"), allowed).forEach(s -> problems.add(name + ": " + s));
      }
    }
    assertTrue(Files.exists(logits));
    assertTrue(
        Files.exists(runOut.resolve("report.json")), "the quickstart path ran to its report");
    assertTrue(problems.isEmpty(), String.join("\n", problems));
    // Without strace (or also with it): nothing appeared in HOME, the working directory or
    // java.io.tmpdir.
    Map<String, String> home = new java.util.TreeMap<>(Fx.snapshot(tmp.resolve("home")));
    home.keySet().removeIf(k -> k.startsWith(".java/fonts/"));
    assertEquals(before, home, "files written under HOME");
    assertEquals(
        Map.of(), Fx.snapshot(tmp.resolve("work")), "files written in the working directory");
    assertEquals(Map.of(), Fx.snapshot(tmp.resolve("javatmp")), "files written in java.io.tmpdir");
    System.out.println(
        "NoNetworkTest: "
            + (strace
                ? "strace checked connect() and every write"
                : "no strace: " + "checked HOME, cwd and tmpdir listings only"));
  }

  /**
   * The library sets DJL's offline properties before any DJL class loads, with no flags or
   * variables from the launcher: in a fresh JVM running {@code mmmamba logits} with {@code
   * -verbose:class}, {@code Offline} loads before the first {@code ai.djl} class.
   */
  @Test
  void offlineIsSetBeforeDjlLoads() throws Exception {
    Path model = Fx.llama(tmp.resolve("m"));
    Path ids = Fx.write(tmp.resolve("ids.json"), BadInputCases.GOOD_IDS);
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-XX:TieredStopAtLevel=1",
                "-verbose:class",
                "-cp",
                CliProcess.classpath(),
                "org.mmmamba.app.cli.Main",
                "logits",
                "--model",
                model.toString(),
                "--input-ids",
                ids.toString(),
                "--out",
                tmp.resolve("l.safetensors").toString(),
                "--device",
                "cpu"));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment()
        .keySet()
        .removeIf(k -> k.startsWith("DJL_OFFLINE") || k.equals("OPT_OUT_TRACKING"));
    Path log = tmp.resolve("log");
    pb.redirectOutput(log.toFile()).redirectError(Path.of(log + ".err").toFile());
    CliProcess.Result r = CliProcess.run(pb, 120);
    assertEquals(0, r.code(), r.err());
    List<String> loads = r.out().lines().filter(l -> l.contains("[class,load]")).toList();
    int offline = indexOf(loads, " org.mmmamba.core.Offline ");
    int djl = indexOf(loads, " ai.djl.");
    assertTrue(offline >= 0 && djl >= 0, "no class loading log");
    assertTrue(offline < djl, "DJL class " + loads.get(djl) + " loaded before Offline");
  }

  static int indexOf(List<String> lines, String part) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(part)) {
        return i;
      }
    }
    return -1;
  }
}
