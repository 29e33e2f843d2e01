package org.mmmamba.distill.metrics;

import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.regex.Pattern;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.io.AtomicText;

/**
 * {@code manifest.json}: what produced a run, so its outputs can be traced and reproduced.
 *
 * <pre>
 * {
 *   "start_time": "2026-11-28T15:00:00Z",
 *   "command": ["distill", "--config", "run.yaml"],
 *   "seed": 42,
 *   "config": "...resolved YAML text...",
 *   "versions": {"java": "17.0.15", "java_vendor": "...", "djl": "0.36.0", "pytorch": "2.7.1", "mmmamba": "..."},
 *   "system": {"os": "Linux 6.1 amd64", "cpus": 2, "max_heap_bytes": ..., "allocator": "jemalloc"},
 *   "git_commit": "ae14eff...",                        (omitted when the build had no git checkout)
 *   "inputs": {"teacher/config.json": {"path": "/abs/...", "bytes": 1234, "sha256": "..."}, ...},
 *   "extra": {...},
 *   "resumes": [{"start_time": ..., "command": [...], "versions": {...}, "system": {...}, "git_commit": ...}]
 * }                                                    (resumes: one entry per --resume, see writeResumed)
 * </pre>
 *
 * <p>The allocator comes from env {@code MMMAMBA_ALLOCATOR} (set by the launcher). The git commit
 * is the one this library was built from, recorded at build time by buildnumber-maven-plugin in the
 * resource {@code org/mmmamba/distill/metrics/git.properties}. Input files are hashed with SHA-256,
 * streamed.
 */
public final class RunManifest {
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Pattern SHA = Pattern.compile("[0-9a-f]{40}([0-9a-f]{24})?");

  private final ObjectNode json;

  private RunManifest(ObjectNode json) {
    this.json = json;
  }

  /** A new builder; the start time defaults to now. */
  public static Builder builder() {
    return new Builder();
  }

  /** The manifest as JSON (a copy). */
  public ObjectNode toJson() {
    return json.deepCopy();
  }

  /** The JSON text. */
  public String toJsonString() {
    try {
      return MAPPER.writeValueAsString(json) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes {@code manifest.json} (or any path) atomically. */
  public void write(Path file) {
    AtomicText.writeString(file, toJsonString());
  }

  /**
   * Records a resumed run: {@code file}'s manifest (what started the run) is kept as it is and gets
   * this one's {@code start_time}, {@code command}, {@code versions}, {@code system} and {@code
   * git_commit} appended to its {@code resumes} list, so the history of the run directory is not
   * lost. Without a readable manifest at {@code file}, this one is written instead.
   */
  public void writeResumed(Path file) {
    ObjectNode old = null;
    if (Files.isRegularFile(file)) {
      try {
        JsonNode n = MAPPER.readTree(file.toFile());
        old = n instanceof ObjectNode o ? o : null;
      } catch (IOException e) {
        old = null; // unreadable: replaced by this manifest (the caller has validated the run
        // directory)
      }
    }
    if (old == null) {
      write(file);
      return;
    }
    ObjectNode entry = MAPPER.createObjectNode();
    for (String key : List.of("start_time", "command", "versions", "system", "git_commit")) {
      if (json.has(key)) {
        entry.set(key, json.get(key).deepCopy());
      }
    }
    JsonNode list = old.get("resumes");
    ArrayNode resumes = list instanceof ArrayNode a ? a : old.putArray("resumes");
    resumes.add(entry);
    AtomicText.writeString(file, text(old));
  }

  private static String text(JsonNode n) {
    try {
      return MAPPER.writeValueAsString(n) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Collects the fields; {@link #build} hashes the inputs and reads versions. */
  public static final class Builder {
    private Instant start = Instant.now();
    private List<String> command = List.of();
    private String config;
    private Long seed;
    private Properties build = buildProperties();
    private final Map<String, Path> inputs = new LinkedHashMap<>();
    private final Map<String, String> extra = new LinkedHashMap<>();
    private Map<String, String> env = System.getenv();

    private Builder() {}

    /** The run's start time. */
    public Builder startTime(Instant t) {
      start = Objects.requireNonNull(t);
      return this;
    }

    /** The command-line arguments. */
    public Builder command(List<String> args) {
      command = List.copyOf(args);
      return this;
    }

    /** The resolved config text (after overrides). */
    public Builder config(String text) {
      config = text;
      return this;
    }

    /** The master seed. */
    public Builder seed(long s) {
      seed = s;
      return this;
    }

    /**
     * The build-time git properties (default: the ones recorded in this library's jar; for tests).
     */
    Builder buildInfo(Properties p) {
      build = Objects.requireNonNull(p);
      return this;
    }

    /** An input file to hash under a label. */
    public Builder input(String label, Path file) {
      inputs.put(label, file);
      return this;
    }

    /**
     * The teacher checkpoint directory: its {@code config.json}, {@code *.safetensors} and shard
     * index are hashed, under labels {@code <label>/<file name>}.
     *
     * @throws BadInputException if the directory does not exist
     */
    public Builder teacherDir(String label, Path dir) {
      if (!Files.isDirectory(dir)) {
        throw new BadInputException(dir + ": teacher directory does not exist");
      }
      List<Path> files = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
        for (Path p : ds) {
          String n = p.getFileName().toString();
          if (n.equals("config.json")
              || n.endsWith(".safetensors")
              || n.equals("model.safetensors.index.json")) {
            files.add(p);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + dir + ": " + e, e);
      }
      files.sort(null);
      for (Path p : files) {
        inputs.put(label + "/" + p.getFileName(), p);
      }
      return this;
    }

    /** A free-form entry under {@code extra}. */
    public Builder extra(String key, String value) {
      extra.put(key, value);
      return this;
    }

    /** Environment to read {@code MMMAMBA_ALLOCATOR} from (tests). */
    Builder env(Map<String, String> e) {
      env = e;
      return this;
    }

    /**
     * Hashes the inputs, reads versions and the git commit, and freezes the manifest.
     *
     * @throws BadInputException if an input file is missing
     */
    public RunManifest build() {
      ObjectNode o = MAPPER.createObjectNode();
      o.put("start_time", start.toString());
      command.forEach(o.putArray("command")::add);
      if (seed != null) {
        o.put("seed", seed);
      }
      if (config != null) {
        o.put("config", config);
      }
      ObjectNode v = o.putObject("versions");
      v.put("java", System.getProperty("java.version"));
      v.put("java_vendor", System.getProperty("java.vendor"));
      v.put("djl", Engine.getDjlVersion());
      v.put("pytorch", Engine.getInstance().getVersion());
      String own = RunManifest.class.getPackage().getImplementationVersion();
      if (own != null) {
        v.put("mmmamba", own);
      }
      ObjectNode s = o.putObject("system");
      s.put(
          "os",
          System.getProperty("os.name")
              + " "
              + System.getProperty("os.version")
              + " "
              + System.getProperty("os.arch"));
      s.put("cpus", Runtime.getRuntime().availableProcessors());
      s.put("max_heap_bytes", Runtime.getRuntime().maxMemory());
      String alloc = env.get("MMMAMBA_ALLOCATOR");
      if (alloc == null) {
        s.putNull("allocator");
      } else {
        s.put("allocator", alloc);
      }
      String commit = build.getProperty("git.commit.id", "");
      if (SHA.matcher(commit).matches()) {
        o.put("git_commit", commit);
      }
      ObjectNode in = o.putObject("inputs");
      for (Map.Entry<String, Path> e : inputs.entrySet()) {
        Path p = e.getValue();
        ObjectNode f = in.putObject(e.getKey());
        f.put("path", p.toAbsolutePath().toString());
        try {
          f.put("bytes", Files.size(p));
        } catch (NoSuchFileException ex) {
          throw new BadInputException(p + ": input file does not exist", ex);
        } catch (IOException ex) {
          throw new UncheckedIOException("cannot read " + p + ": " + ex, ex);
        }
        f.put("sha256", sha256(p));
      }
      if (!extra.isEmpty()) {
        ObjectNode x = o.putObject("extra");
        extra.forEach(x::put);
      }
      return new RunManifest(o);
    }
  }

  /** SHA-256 of a file, hex, read in 1 MiB pieces. */
  public static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 20];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchFileException e) {
      throw new BadInputException(file + ": input file does not exist", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e); // every JDK has SHA-256
    }
  }

  /** The git commit this library was built from, if the build recorded one. */
  public static java.util.Optional<String> buildCommit() {
    String commit = buildProperties().getProperty("git.commit.id", "");
    return SHA.matcher(commit).matches()
        ? java.util.Optional.of(commit)
        : java.util.Optional.empty();
  }

  /**
   * The git properties recorded when this library was built ({@code git.commit.id}, "unknown" when
   * it was built outside a git checkout).
   */
  public static Properties buildProperties() {
    Properties p = new Properties();
    try (InputStream in = RunManifest.class.getResourceAsStream("git.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      // provenance is best effort; never fail a run over it
    }
    return p;
  }
}
