package org.mmmamba.distill.card;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.mmmamba.core.io.AtomicText;

/**
 * The model card written as {@code README.md} beside every model the project saves (teacher,
 * distilled student, converted student): YAML front matter as the Hugging Face hub reads it ({@code
 * license}, {@code library_name}, {@code pipeline_tag}, {@code tags}, {@code model-index} with the
 * held-out results), then what the model is, its teacher, layout, initialisation, training stages
 * and steps, data, held-out figures, precision, device, the commit and the command that made it.
 *
 * @param name the model's name (e.g. {@code quickstart/linear})
 * @param kind one line saying what it is
 * @param teacher the teacher it was distilled from or converted from; null for a teacher
 * @param layout the layer layout (e.g. {@code linear}, {@code head-interleaved:2}, {@code 8
 *     attention layers})
 * @param init how the weights started (e.g. {@code inherit_mimic}, {@code random, std 0.02})
 * @param stages training stages in order; empty when untrained
 * @param data what it was trained on; null when untrained
 * @param heldOut held-out figures by metric name (e.g. {@code exact_match}); empty when not
 *     evaluated
 * @param heldOutData what the held-out figures were measured on; null when not evaluated
 * @param precision the training/storage precision (e.g. {@code float32})
 * @param device the device it ran on (e.g. {@code cpu})
 * @param commit the git commit of the code; null when unknown
 * @param command the command line that made it
 */
public record ModelCard(
    String name,
    String kind,
    String teacher,
    String layout,
    String init,
    List<Stage> stages,
    String data,
    Map<String, Double> heldOut,
    String heldOutData,
    String precision,
    String device,
    String commit,
    String command) {
  /** The card's file name. */
  public static final String FILE = "README.md";

  /**
   * One training stage.
   *
   * @param name e.g. {@code stage 1 (distill the new)}
   * @param steps optimiser steps
   * @param detail e.g. the learning rate and schedule; may be empty
   */
  public record Stage(String name, long steps, String detail) {}

  /**
   * Rejects missing required fields; copies the collections.
   *
   * @param name see the record
   * @param kind see the record
   * @param teacher see the record
   * @param layout see the record
   * @param init see the record
   * @param stages see the record
   * @param data see the record
   * @param heldOut see the record
   * @param heldOutData see the record
   * @param precision see the record
   * @param device see the record
   * @param commit see the record
   * @param command see the record
   */
  public ModelCard {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(layout, "layout");
    Objects.requireNonNull(init, "init");
    Objects.requireNonNull(precision, "precision");
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(command, "command");
    stages = List.copyOf(stages);
    heldOut = new LinkedHashMap<>(heldOut);
  }

  /**
   * @return the README.md text: front matter, then the card
   */
  public String markdown() {
    StringBuilder y = new StringBuilder("---\n");
    y.append("license: apache-2.0\n");
    y.append("library_name: mmmamba-java\n");
    y.append("pipeline_tag: image-text-to-text\n");
    y.append("tags:\n");
    List<String> tags = new ArrayList<>(List.of("mmmamba", "vision-language"));
    tags.add(teacher == null ? "teacher" : "distillation");
    tags.add(layout.startsWith("linear") ? "mamba2" : teacher == null ? "transformer" : "hybrid");
    for (String t : tags) {
      y.append("- ").append(t).append('\n');
    }
    if (!heldOut.isEmpty()) {
      y.append("model-index:\n");
      y.append("- name: ").append(yaml(name)).append('\n');
      y.append("  results:\n");
      y.append("  - task:\n      type: visual-question-answering\n");
      y.append("    dataset:\n      name: ")
          .append(yaml(heldOutData == null ? "held-out" : heldOutData))
          .append("\n      type: ")
          .append(yaml(heldOutData == null ? "held-out" : heldOutData))
          .append('\n');
      y.append("    metrics:\n");
      for (Map.Entry<String, Double> e : heldOut.entrySet()) {
        y.append("    - type: ")
            .append(yaml(e.getKey()))
            .append("\n      value: ")
            .append(number(e.getValue()))
            .append('\n');
      }
    }
    y.append("---\n\n");
    StringBuilder md = new StringBuilder(y);
    md.append("# ").append(name).append("\n\n");
    md.append(kind).append("\n\n");
    md.append("| | |\n|---|---|\n");
    row(md, "teacher", teacher == null ? "(none: this is a teacher)" : code(teacher));
    row(md, "layout", layout);
    row(md, "initialisation", init);
    if (stages.isEmpty()) {
      row(md, "training", "none (weights as initialised)");
    }
    for (Stage s : stages) {
      row(md, s.name(), s.steps() + " steps" + (s.detail().isEmpty() ? "" : ", " + s.detail()));
    }
    row(md, "data", data == null ? "none" : data);
    row(md, "precision", precision);
    row(md, "device", device);
    row(md, "commit", commit == null ? "unknown" : code(commit));
    row(md, "command", code(command));
    md.append('\n');
    if (heldOut.isEmpty()) {
      md.append("Not evaluated.\n");
    } else {
      md.append("Held-out results")
          .append(heldOutData == null ? "" : " (" + heldOutData + ")")
          .append(":\n\n");
      md.append("| metric | value |\n|---|---:|\n");
      heldOut.forEach(
          (k, v) -> md.append("| ").append(k).append(" | ").append(number(v)).append(" |\n"));
    }
    md.append(
        "\nMade with [mmmamba-java](https://arxiv.org/abs/2502.13145) (mmMamba distillation on the JVM). "
            + "Load it with `VlmIo.load(dir, manager, DataType.FLOAT32)` or `scripts/mmmamba generate --model DIR`.\n");
    return md.toString();
  }

  /**
   * Writes {@code dir/README.md} atomically.
   *
   * @param dir the model's directory
   * @return the file
   */
  public Path write(Path dir) {
    Path f = dir.resolve(FILE);
    AtomicText.writeString(f, markdown());
    return f;
  }

  private static void row(StringBuilder md, String k, String v) {
    md.append("| ")
        .append(k)
        .append(" | ")
        .append(v.replace("|", "\\|").replace("\n", " "))
        .append(" |\n");
  }

  private static String code(String s) {
    return "`" + s.replace("`", "'") + "`";
  }

  private static String number(double v) {
    if (!Double.isFinite(v)) {
      return ".nan";
    }
    return String.format(Locale.ROOT, "%.4g", v)
        .replaceAll("(\\.\\d*?)0+$", "$1")
        .replaceAll("\\.$", "");
  }

  /** A YAML scalar: plain when safe, else double-quoted. */
  static String yaml(String s) {
    if (s.matches("[A-Za-z0-9_./-][A-Za-z0-9 _./:()-]*")
        && !s.contains(": ")
        && !s.endsWith(":")
        && !s.endsWith(" ")) {
      return s;
    }
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
