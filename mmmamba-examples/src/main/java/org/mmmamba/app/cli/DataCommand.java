package org.mmmamba.app.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.mmmamba.distill.data.ShapesConfig;
import org.mmmamba.distill.data.ShapesTask;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mmmamba data}: writes datasets as files (today the built-in shapes task, in the LLaVA
 * format).
 */
@Command(
    name = "data",
    mixinStandardHelpOptions = true,
    subcommands = DataCommand.Shapes.class,
    description = "Write datasets as files.")
final class DataCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** {@code mmmamba data shapes}: a thin shell over {@link ShapesTask#writeDataset}. */
  @Command(
      name = "shapes",
      mixinStandardHelpOptions = true,
      description =
          "Write the synthetic shapes task as a LLaVA-format dataset: train.json, test.json, images/,"
              + " tokenizer.json, task.json. With --filler 0 the samples equal builtin:shapes with the same seed.")
  static final class Shapes implements Callable<Integer> {
    @Option(
        names = "--out",
        required = true,
        description = "Output directory (must be empty unless --force).")
    Path out;

    @Option(names = "--seed", defaultValue = "7", description = "Seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(
        names = "--train",
        defaultValue = "2000",
        description = "Training samples (default ${DEFAULT-VALUE}).")
    int train;

    @Option(
        names = "--test",
        defaultValue = "500",
        description = "Test samples (default ${DEFAULT-VALUE}).")
    int test;

    @Option(
        names = "--image-size",
        defaultValue = "28",
        description = "Image side in pixels (default ${DEFAULT-VALUE}).")
    int imageSize;

    @Option(
        names = "--filler",
        defaultValue = "0",
        description =
            "Up to this many filler words before each question, so lengths vary (default ${DEFAULT-VALUE}).")
    int filler;

    @Option(names = "--force", description = "Replace a non-empty output directory.")
    boolean force;

    @Override
    public Integer call() {
      ShapesConfig d = ShapesConfig.defaults();
      ShapesTask.writeDataset(
          out,
          new ShapesConfig(imageSize, d.gridSize(), d.maxShapes(), d.background()),
          seed,
          train,
          test,
          filler,
          force);
      System.out.println(
          "wrote " + out.resolve("train.json") + ", test.json, images/, tokenizer.json");
      return 0;
    }
  }
}
