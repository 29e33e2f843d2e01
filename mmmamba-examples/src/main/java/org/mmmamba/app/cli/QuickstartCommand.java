package org.mmmamba.app.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.mmmamba.app.report.Reports;
import org.mmmamba.distill.Distillation;
import org.mmmamba.distill.recipe.Recipes;
import org.mmmamba.distill.recipe.RunConfig;
import org.mmmamba.distill.recipe.YamlConfigs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code mmmamba quickstart}: the bundled end-to-end job: the committed tiny teacher, the built-in
 * synthetic task, all three stages into a linear and a hybrid student, evaluation of all three, and
 * the side-by-side report.
 */
@Command(
    name = "quickstart",
    mixinStandardHelpOptions = true,
    description =
        "Distil the bundled shapes teacher into linear and hybrid mmMamba students and compare all three "
            + "(writes runs/quickstart/report.json and report.md).")
final class QuickstartCommand implements Callable<Integer> {
  @Mixin RunOptions run;

  @Option(
      names = "--config",
      description = "Run YAML (default: configs/quickstart.yaml of this checkout).")
  Path config;

  @Override
  public Integer call() throws Exception {
    Path home = Path.of(System.getenv().getOrDefault("MMMAMBA_HOME", "."));
    Path cfg = config != null ? config : home.resolve("configs/quickstart.yaml");
    List<String> sets = new ArrayList<>();
    Path teacher = home.resolve("models/shapes-teacher");
    sets.add("teacher.path=" + teacher.toAbsolutePath());
    sets.addAll(run.overrides);
    YamlConfigs.Located<RunConfig> at = Recipes.load(cfg, sets);
    List<String> cmd = new ArrayList<>(List.of("quickstart"));
    cmd.addAll(run.asArgs());
    long t0 = System.nanoTime();
    Distillation.Result r =
        Distillation.run(at, new Distillation.Options(run.resume, null, cmd, run.force));
    Reports.write(r);
    System.out.println();
    System.out.println(Reports.table(r));
    System.out.printf(
        "quickstart finished in %.1f min; report: %s, %s%n",
        (System.nanoTime() - t0) / 6e10,
        r.outDir().resolve("report.json"),
        r.outDir().resolve("report.md"));
    return 0;
  }
}
