package org.mmmamba.app.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.mmmamba.app.ablate.Ablation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mmmamba ablate}: runs one or more ablation files (configs/ablations/*.yaml), each into
 * {@code OUT/<name>}; see {@link Ablation}.
 */
@Command(
    name = "ablate",
    mixinStandardHelpOptions = true,
    description =
        "Run ablation grids of distillation variants (the paper's Tables 3-6 at our scale) and write "
            + "ablation.json, ablation.md and ablation.png per ablation, beside the paper's numbers and rankings.")
final class AblateCommand implements Callable<Integer> {
  @Option(
      names = "--config",
      required = true,
      arity = "1..*",
      description = "Ablation YAML file(s), e.g. configs/ablations/*.yaml.")
  List<Path> configs = new ArrayList<>();

  @Option(
      names = "--out",
      required = true,
      description = "Output directory; each ablation goes to OUT/<name>.")
  Path out;

  @Option(
      names = "--set",
      description =
          "Override a key of every run, e.g. --set stages.stage3.steps=50 " + "(repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--resume", description = "Reuse finished runs and continue an interrupted one.")
  boolean resume;

  @Option(names = "--verbose", description = "Print stack traces on errors.")
  boolean verbose;

  @Override
  public Integer call() throws Exception {
    // Load every file first, so a typo in the last one fails before hours of training.
    List<Ablation.Plan> plans = new ArrayList<>();
    for (Path c : configs) {
      plans.add(Ablation.load(c, overrides));
    }
    for (Ablation.Plan p : plans) {
      Path dir = out.resolve(p.config().name());
      Ablation.run(p, dir, new Ablation.Options(resume, true));
      System.out.println("wrote " + dir.resolve("ablation.md"));
    }
    return 0;
  }
}
