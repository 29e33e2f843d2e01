package org.mmmamba.app.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Options of the commands that run a training job from a YAML file (train-teacher, distill,
 * quickstart).
 */
public final class RunOptions {
  @Option(
      names = "--set",
      description =
          "Override a key of the YAML: --set a.b.c=value (repeatable), e.g. "
              + "--set stages.stage3.steps=100.")
  List<String> overrides = new ArrayList<>();

  @Option(
      names = "--resume",
      description = "Continue an interrupted run from the last checkpoint in its directory.")
  boolean resume;

  @Option(
      names = "--force",
      description = "Start afresh in a non-empty run directory (its checkpoints are replaced).")
  boolean force;

  @Option(names = "--verbose", description = "Print stack traces on errors.")
  boolean verbose;

  /**
   * The overrides as they were given on the command line ("--set", value, ...), for run manifests.
   */
  List<String> asArgs() {
    List<String> out = new ArrayList<>();
    overrides.forEach(s -> out.addAll(List.of("--set", s)));
    return out;
  }
}
