package org.mmmamba.app.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.mmmamba.distill.teacher.TeacherTraining;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code mmmamba train-teacher}: trains a small vision-language teacher from a YAML config. */
@Command(
    name = "train-teacher",
    mixinStandardHelpOptions = true,
    description =
        "Train a small HoVLE-style teacher from scratch (answer-only cross-entropy), then evaluate it.")
final class TrainTeacherCommand implements Callable<Integer> {
  @Mixin RunOptions run;

  @Option(
      names = "--config",
      required = true,
      description = "Teacher YAML (e.g. configs/teacher/shapes.yaml).")
  Path config;

  @Override
  public Integer call() throws Exception {
    TeacherTraining.Result r =
        TeacherTraining.run(TeacherTraining.load(config, run.overrides), run.resume, run.force);
    System.out.printf("teacher saved to %s%n", r.modelDir());
    if (r.eval() != null) {
      System.out.printf(
          "held-out accuracy %.3f on %d samples; text-only baseline %s%n",
          r.eval().accuracy(),
          r.eval().n(),
          r.textOnlyBaseline() == null ? "n/a" : String.format("%.3f", r.textOnlyBaseline()));
    }
    return 0;
  }
}
