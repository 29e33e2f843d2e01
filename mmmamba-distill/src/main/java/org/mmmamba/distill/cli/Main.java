package org.mmmamba.distill.cli;

import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Offline;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code mmmamba} command line. Each subcommand is a thin shell over a public Java API that notebooks call
 * the same way. Exit codes: 0 success, 2 bad input (one line naming the file, key or tensor), 1 internal error.
 */
@Command(
    name = "mmmamba",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Distil decoder-only vision-language Transformers into Mamba-2 students (mmMamba).",
    subcommands = {
      LogitsCommand.class,
      GenerateCommand.class,
      TrainTeacherCommand.class,
      DistillCommand.class,
      EvalCommand.class,
      QuickstartCommand.class,
      MergeCommand.class,
      ConvertCommand.class,
      BenchCommand.class,
      AblateCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  static {
    Offline.init();
  }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Builds the command line with the project's error handling (used by tests too). */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
      boolean verbose = parse.originalArgs().contains("--verbose");
      if (ex instanceof BadInputException) {
        cmd.getErr().println("mmmamba: error: " + ex.getMessage());
        if (verbose) {
          ex.printStackTrace(cmd.getErr());
        }
        return 2;
      }
      cmd.getErr().println("mmmamba: internal error: " + ex);
      if (verbose) {
        ex.printStackTrace(cmd.getErr());
      } else {
        cmd.getErr().println("(run again with --verbose for the stack trace)");
      }
      return 1;
    });
    cl.setParameterExceptionHandler((ex, args) -> {
      ex.getCommandLine().getErr().println("mmmamba: error: " + ex.getMessage());
      ex.getCommandLine().getErr().println("(see: mmmamba " + ex.getCommandLine().getCommandName() + " --help)");
      return 2;
    });
    return cl;
  }

  /** Entry point. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** Reports the artifact version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"mmmamba " + (v == null ? "dev" : v)};
    }
  }
}
