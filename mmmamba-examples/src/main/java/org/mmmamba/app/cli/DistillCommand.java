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

/** {@code mmmamba distill}: the three-stage recipe from a YAML run config. */
@Command(
    name = "distill",
    mixinStandardHelpOptions = true,
    description =
        "Distil a teacher into mmMamba students (stage 1, stage 2, stage 3 per student layout, eval).")
final class DistillCommand implements Callable<Integer> {
  @Mixin RunOptions run;

  @Option(names = "--config", required = true, description = "Run YAML (see docs/config.md).")
  Path config;

  @Option(
      names = "--layers",
      description =
          "Train only these layers in stages 1-2 (e.g. 0-3 or 0,2,5); "
              + "merge the parts with `mmmamba merge`.")
  String layers;

  @Option(
      names = "--layer-parallel",
      description =
          "Run stages 1-2 only, the layers split over run.devices (one part per device, all at "
              + "once) and merged into run.out_dir (docs/scale-out.md).")
  boolean layerParallel;

  @Override
  public Integer call() throws Exception {
    YamlConfigs.Located<RunConfig> at = Recipes.load(config, run.overrides);
    List<String> cmd = new ArrayList<>(List.of("distill", "--config", config.toString()));
    cmd.addAll(run.asArgs());
    if (layerParallel) {
      if (layers != null) {
        throw new org.mmmamba.core.BadInputException(
            "--layer-parallel splits the layers itself: drop --layers");
      }
      for (Path p :
          org.mmmamba.distill.LayerParallel.run(
              at, new Distillation.Options(run.resume, null, cmd, run.force))) {
        System.out.println("wrote " + p);
      }
      return 0;
    }
    Distillation.Result r =
        Distillation.run(
            at,
            new Distillation.Options(
                run.resume, layers == null ? null : LayerRanges.parse(layers), cmd, run.force));
    if (!r.eval().isEmpty()) {
      Reports.write(r);
      System.out.println(Reports.table(r));
    }
    System.out.println("run directory: " + r.outDir());
    return 0;
  }
}
