package org.mmmamba.app.robust;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.mmmamba.distill.Distillation;
import org.mmmamba.distill.recipe.Recipes;

/**
 * One finished tiny distillation per JVM ({@link BadInputCases#distillYaml}: one step per stage,
 * checkpoints {@code ckpt-1} in every stage, one student "linear"), for cases that damage a copy of
 * a real run.
 */
final class SharedRun {
  private static Path dir;

  private SharedRun() {}

  static synchronized Path dir() {
    if (dir == null) {
      Path root = Fx.sharedRoot().resolve("shared-run");
      Path out = root.resolve("out");
      Path cfg = Fx.write(root.resolve("cfg.yaml"), BadInputCases.distillYaml(Fx.teacher(), out));
      try {
        Distillation.run(Recipes.load(cfg, List.of()), Distillation.Options.defaults());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      dir = out;
    }
    return dir;
  }
}
