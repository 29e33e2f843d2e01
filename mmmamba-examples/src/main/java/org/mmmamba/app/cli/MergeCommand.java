package org.mmmamba.app.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.mmmamba.distill.Merge;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mmmamba merge}: joins runs that trained disjoint layer subsets in stages 1-2. */
@Command(
    name = "merge",
    mixinStandardHelpOptions = true,
    description =
        "Merge the stage-1/2 results of `distill --layers` parts into OUT/stageK/mixers.safetensors; "
            + "continue with `distill --set init.from=OUT/stage2/mixers.safetensors` and stages 1-2 disabled.")
final class MergeCommand implements Callable<Integer> {
  @Option(names = "--out", required = true, description = "Output run directory.")
  Path out;

  @Parameters(arity = "2..*", description = "Run directories of the parts.")
  List<Path> parts;

  @Option(names = "--verbose", description = "Print stack traces on errors.")
  boolean verbose;

  @Override
  public Integer call() throws Exception {
    for (Path p : Merge.run(out, parts)) {
      System.out.println("wrote " + p);
    }
    return 0;
  }
}
