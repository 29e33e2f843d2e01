package org.mmmamba.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.ExpressionSnippet;
import jdk.jshell.JShell;
import jdk.jshell.JShellException;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.VarSnippet;

/**
 * Executes the code cells of an IJava notebook in order, the way the IJava kernel does, on this
 * JVM's class path: IJava's engine is JShell, and IJava itself cannot be installed here.
 *
 * <ul>
 *   <li>One {@link JShell} per notebook with the {@code local} execution engine (snippets run in
 *       this JVM, so the project's classes, DJL's native library and the test's static state are
 *       shared), and every entry of {@code java.class.path} added to its class path.
 *   <li>Magics: the class-path magics ({@code %maven}, {@code %jars}, {@code %classpath}, {@code
 *       %mavenRepo}, {@code %addMavenDependency/ies}, {@code %addMavenRepo}) and the cell magic
 *       {@code %%loadFromPOM} are no-ops (the class path is already there); any other magic fails
 *       the run.
 *   <li>IJava's helpers: {@code display(Object)} and {@code display(Object, String...)} are defined
 *       in the session and record a MIME bundle ({@link NotebookDisplay}). {@code render} and
 *       {@code updateDisplay} are not, so a notebook that uses them fails here.
 *   <li>Each cell is cut into snippets with JShell's own completeness analysis; a rejected snippet
 *       (compile error), an unresolved reference, or an exception fails the run with the cell
 *       number and the snippet.
 *   <li>Outputs are collected as nbformat 4 outputs: stdout and stderr streams, display_data for
 *       {@code display}, and execute_result for a cell ending in an expression without a semicolon
 *       (JShell's text of its value; a trailing semicolon hides the value, as in IPython).
 * </ul>
 */
final class NotebookRunner implements AutoCloseable {
  /** Magics that only change IJava's class path: no-ops here. */
  static final Set<String> CLASSPATH_MAGICS =
      Set.of(
          "maven",
          "jars",
          "classpath",
          "mavenRepo",
          "addMavenRepo",
          "addMavenDependency",
          "addMavenDependencies");

  private static final Pattern LINE_MAGIC = Pattern.compile("^\\s*%(\\w+)(.*)$");

  private static final String PRELUDE =
      """
      String display(Object o) { return org.mmmamba.examples.NotebookDisplay.display(o); }
      String display(Object o, String... as) { return org.mmmamba.examples.NotebookDisplay.display(o); }
      """;

  /**
   * A failed cell: its number (1-based, code cells and markdown cells counted alike) and what
   * failed.
   */
  static final class CellFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CellFailure(String notebook, int cell, String snippet, String what, Throwable cause) {
      super(
          notebook + ", cell " + cell + ": " + what + "\n--- snippet ---\n" + snippet.strip(),
          cause);
    }
  }

  private final JShell shell;
  private final String name;
  private Outputs current;

  NotebookRunner(String name) {
    this.name = name;
    this.shell = JShell.builder().executionEngine("local").build();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (!entry.isBlank()) {
        shell.addToClasspath(entry);
      }
    }
    current = new Outputs();
    run(0, PRELUDE);
  }

  /**
   * Runs every code cell of {@code nb} in order and replaces its outputs and execution counts.
   *
   * @return the notebook, modified in place
   * @throws CellFailure on the first failing cell
   */
  JsonNode runAll(JsonNode nb) {
    int count = 0;
    int index = 0;
    for (JsonNode cell : nb.get("cells")) {
      index++;
      if (!"code".equals(cell.path("cell_type").asText())) {
        continue;
      }
      String source = NotebookJson.text(cell.get("source"));
      ArrayNode outputs = runCell(index, source);
      ObjectNode c = (ObjectNode) cell;
      c.put("execution_count", ++count);
      for (JsonNode o : outputs) {
        if (o.has("execution_count")) {
          ((ObjectNode) o).put("execution_count", count);
        }
      }
      c.set("outputs", outputs);
    }
    return nb;
  }

  /** Runs one cell's source; returns its nbformat outputs. */
  ArrayNode runCell(int cell, String source) {
    current = new Outputs();
    PrintStream out = System.out;
    PrintStream err = System.err;
    PrintStream capOut = new PrintStream(current.stream("stdout"), true, StandardCharsets.UTF_8);
    PrintStream capErr = new PrintStream(current.stream("stderr"), true, StandardCharsets.UTF_8);
    NotebookDisplay.sink(bundle -> current.display(bundle));
    System.setOut(capOut);
    System.setErr(capErr);
    try {
      run(cell, stripMagics(cell, source));
    } finally {
      capOut.flush();
      capErr.flush();
      System.setOut(out);
      System.setErr(err);
      NotebookDisplay.sink(null);
    }
    return current.json();
  }

  /** Replaces class-path magic lines by blank lines; fails on any other magic. */
  String stripMagics(int cell, String source) {
    String[] lines = source.split("\n", -1);
    if (lines.length > 0 && lines[0].startsWith("%%")) {
      String magic = lines[0].substring(2).trim().split("\\s+")[0];
      if (!magic.equals("loadFromPOM")) {
        throw new CellFailure(name, cell, lines[0], "unknown cell magic %%" + magic, null);
      }
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (String line : lines) {
      Matcher m = LINE_MAGIC.matcher(line);
      if (m.matches()) {
        if (!CLASSPATH_MAGICS.contains(m.group(1))) {
          throw new CellFailure(name, cell, line, "unknown line magic %" + m.group(1), null);
        }
        sb.append('\n');
      } else {
        sb.append(line).append('\n');
      }
    }
    return sb.toString();
  }

  private void run(int cell, String code) {
    SourceCodeAnalysis sca = shell.sourceCodeAnalysis();
    String rest = code;
    SnippetEvent last = null;
    boolean lastHadSemicolon = true;
    while (!rest.isBlank()) {
      SourceCodeAnalysis.CompletionInfo ci = sca.analyzeCompletion(rest);
      if (ci.completeness() == SourceCodeAnalysis.Completeness.EMPTY) {
        break;
      }
      if (!ci.completeness().isComplete()) {
        throw new CellFailure(
            name, cell, rest, "incomplete snippet (" + ci.completeness() + ")", null);
      }
      String snippet = ci.source();
      rest = ci.remaining();
      // JShell adds a missing semicolon (COMPLETE_WITH_SEMI); only one the author wrote hides the
      // value.
      lastHadSemicolon =
          ci.completeness() != SourceCodeAnalysis.Completeness.COMPLETE_WITH_SEMI
              && snippet.strip().endsWith(";");
      for (SnippetEvent e : shell.eval(snippet)) {
        check(cell, snippet, e);
        if (e.causeSnippet() == null) {
          last = e;
        }
      }
    }
    if (last != null
        && !lastHadSemicolon
        && isExpression(last.snippet())
        && last.value() != null
        && !last.value().isEmpty()) {
      current.result(last.value());
    }
  }

  private void check(int cell, String snippet, SnippetEvent e) {
    if (e.causeSnippet() != null) {
      // A dependent snippet recompiled because of this one. The local engine cannot redefine
      // classes, so a
      // recompiled variable loses its value (IJava's remote engine may keep it): never rely on
      // that.
      if (e.snippet() instanceof VarSnippet v
          && e.status() == Snippet.Status.VALID
          && e.previousStatus() == Snippet.Status.VALID) {
        throw new CellFailure(
            name,
            cell,
            snippet,
            "this snippet made JShell recompile variable '"
                + v.name()
                + "', which resets it; put every import in the first code cell",
            null);
      }
      return; // otherwise a dependent snippet's status change, not this snippet's result
    }
    switch (e.status()) {
      case REJECTED ->
          throw new CellFailure(name, cell, snippet, "rejected: " + diagnostics(e.snippet()), null);
      case RECOVERABLE_DEFINED, RECOVERABLE_NOT_DEFINED ->
          throw new CellFailure(
              name,
              cell,
              snippet,
              "unresolved references: "
                  + shell
                      .unresolvedDependencies((jdk.jshell.DeclarationSnippet) e.snippet())
                      .collect(Collectors.toList()),
              null);
      default -> {}
    }
    JShellException ex = e.exception();
    if (ex != null) {
      String what =
          ex instanceof EvalException ee
              ? ee.getExceptionClassName() + ": " + ee.getMessage()
              : ex.toString();
      throw new CellFailure(name, cell, snippet, "exception " + what, ex);
    }
  }

  private String diagnostics(Snippet s) {
    return shell
        .diagnostics(s)
        .map(d -> d.getMessage(null) + position(d))
        .collect(Collectors.joining("; "));
  }

  private static String position(Diag d) {
    return d.getPosition() >= 0 ? " (at offset " + d.getPosition() + ")" : "";
  }

  private static boolean isExpression(Snippet s) {
    return s instanceof ExpressionSnippet
        || (s instanceof VarSnippet && s.subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND);
  }

  @Override
  public void close() {
    shell.close();
  }

  /** The outputs of one cell, in the order they were produced. */
  private static final class Outputs {
    private final List<ObjectNode> items = new ArrayList<>();

    /** A stream whose bytes become (merged) stream outputs of the given name. */
    OutputStream stream(String streamName) {
      return new OutputStream() {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        @Override
        public void write(int b) {
          buf.write(b);
          if (b == '\n') {
            flush();
          }
        }

        @Override
        public void write(byte[] b, int off, int len) {
          buf.write(b, off, len);
          flush();
        }

        @Override
        public void flush() {
          if (buf.size() > 0) {
            text(streamName, buf.toString(StandardCharsets.UTF_8));
            buf.reset();
          }
        }
      };
    }

    synchronized void text(String streamName, String s) {
      ObjectNode last = items.isEmpty() ? null : items.get(items.size() - 1);
      if (last != null
          && "stream".equals(last.get("output_type").asText())
          && streamName.equals(last.get("name").asText())) {
        last.put("text", last.get("text").asText() + s);
        return;
      }
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      o.put("name", streamName);
      o.put("output_type", "stream");
      o.put("text", s);
      items.add(o);
    }

    synchronized void display(Map<String, String> bundle) {
      items.add(bundle("display_data", bundle));
    }

    synchronized void result(String value) {
      ObjectNode o = bundle("execute_result", Map.of("text/plain", value));
      o.put("execution_count", 0); // the cell's count, set by runAll
      items.add(o);
    }

    private static ObjectNode bundle(String type, Map<String, String> bundle) {
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      ObjectNode data = o.putObject("data");
      bundle.forEach(
          (mime, v) -> {
            if (mime.startsWith("text/")) {
              data.set(mime, NotebookJson.lines(v));
            } else {
              data.put(mime, v);
            }
          });
      o.putObject("metadata");
      o.put("output_type", type);
      return o;
    }

    synchronized ArrayNode json() {
      ArrayNode a = JsonNodeFactory.instance.arrayNode();
      for (ObjectNode o : items) {
        if (o.has("text") && o.get("text").isTextual()) {
          o.set("text", NotebookJson.lines(o.get("text").asText()));
        }
        a.add(o);
      }
      return a;
    }
  }
}
