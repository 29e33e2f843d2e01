package org.mmmamba.distill.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.mmmamba.core.Offline;
import org.mmmamba.distill.Distillation;
import org.mmmamba.distill.recipe.Recipes;

/**
 * Child-JVM side of {@link NativeMemorySoakTest}: runs a distillation from a config file and
 * prints, after every optimiser step, {@code SOAK <label> <step> <live arrays> <VmRSS KiB>}, then
 * {@code SOAK-END <before> <after>}. Run with a fixed, pre-touched heap so that resident memory
 * growth is native memory.
 */
public final class SoakMain {
  private SoakMain() {}

  public static void main(String[] args) throws Exception {
    Offline.init();
    Path cfg = Path.of(args[0]);
    int before = LiveArrays.count();
    Distillation.run(
        Recipes.load(cfg, List.of()),
        Distillation.Options.defaults()
            .withStepListener(
                (label, step) ->
                    System.out.println(
                        "SOAK " + label + " " + step + " " + LiveArrays.count() + " " + rssKib())));
    System.out.println("SOAK-END " + before + " " + LiveArrays.count() + " " + rssKib());
  }

  static long rssKib() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (l.startsWith("VmRSS:")) {
          return Long.parseLong(l.replaceAll("\\D", ""));
        }
      }
    } catch (java.io.IOException e) {
      // not Linux
    }
    return -1;
  }
}
