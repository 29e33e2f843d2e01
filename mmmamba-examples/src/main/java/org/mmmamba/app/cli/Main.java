package org.mmmamba.app.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Offline;
import org.mmmamba.distill.train.TrainingRun;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code mmmamba} command line. Each subcommand is a thin shell over a public Java API that
 * notebooks call the same way. Exit codes: 0 success, 1 internal error, 2 bad input (one line
 * naming the file, key or tensor), 3 training stopped on a non-finite loss or gradient, 4 I/O error
 * (e.g. disk full); see docs/robustness.md.
 */
@Command(
    name = "mmmamba",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description =
        "Distil decoder-only vision-language Transformers into Mamba-2 students (mmMamba).",
    subcommands = {
      LogitsCommand.class,
      GenerateCommand.class,
      TrainTeacherCommand.class,
      DistillCommand.class,
      EvalCommand.class,
      QuickstartCommand.class,
      MergeCommand.class,
      ConvertCommand.class,
      RandomTeacherCommand.class,
      BenchCommand.class,
      AblateCommand.class,
      DataCommand.class,
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

  /** Exit code: success. */
  public static final int OK = 0;

  /** Exit code: an internal error (a bug; the stack trace is printed with --verbose). */
  public static final int INTERNAL_ERROR = 1;

  /** Exit code: bad input (a file, key, tensor or option named in one line). */
  public static final int BAD_INPUT = 2;

  /** Exit code: training stopped on a non-finite loss or gradient ({@code on_non_finite: stop}). */
  public static final int TRAINING_STOPPED = 3;

  /** Exit code: the file system failed us (disk full, permission denied, I/O error). */
  public static final int IO_ERROR = 4;

  /**
   * Builds the command line with the project's error handling (used by tests too): every failure
   * prints exactly one line on stderr ({@code mmmamba: <kind>: <message>}) and, with {@code
   * --verbose}, the stack trace after it.
   */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler(
        (ex, cmd, parse) -> {
          boolean verbose = parse.originalArgs().contains("--verbose");
          int code = exitCode(ex);
          String kind =
              switch (code) {
                case BAD_INPUT -> "error";
                case TRAINING_STOPPED -> "training stopped";
                case IO_ERROR -> "I/O error";
                default -> "internal error";
              };
          String msg =
              code == INTERNAL_ERROR || ex.getMessage() == null ? ex.toString() : ex.getMessage();
          String hint =
              code == INTERNAL_ERROR && !verbose
                  ? " (run again with --verbose for the stack trace)"
                  : "";
          cmd.getErr().println("mmmamba: " + kind + ": " + oneLine(msg) + hint);
          if (verbose) {
            ex.printStackTrace(cmd.getErr());
          }
          cmd.getErr().flush();
          return code;
        });
    cl.setParameterExceptionHandler(
        (ex, args) -> {
          CommandLine c = ex.getCommandLine();
          c.getErr()
              .println(
                  "mmmamba: error: "
                      + oneLine(ex.getMessage())
                      + " (see: mmmamba "
                      + (c.getParent() == null ? "" : c.getCommandName() + " ")
                      + "--help)");
          c.getErr().flush();
          return BAD_INPUT;
        });
    return cl;
  }

  /** The exit code of a failure (see the constants). */
  static int exitCode(Throwable ex) {
    if (ex instanceof BadInputException) {
      return BAD_INPUT;
    }
    if (ex instanceof TrainingRun.NonFiniteStop || ex instanceof TrainingRun.SkipLimitStop) {
      return TRAINING_STOPPED;
    }
    for (Throwable t = ex; t != null; t = t.getCause()) {
      if (t instanceof IOException || t instanceof UncheckedIOException) {
        return IO_ERROR;
      }
    }
    return INTERNAL_ERROR;
  }

  /** Newlines and tabs as spaces, so a message is one line whatever it holds. */
  static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").replace('\t', ' ').strip();
  }

  /** Entry point. */
  public static void main(String[] args) {
    int code;
    try {
      code = commandLine().execute(args);
    } catch (OutOfMemoryError e) {
      // picocli handles Exceptions only; an Error would end the JVM with a stack trace.
      System.err.println(
          "mmmamba: internal error: out of memory ("
              + oneLine(e.getMessage())
              + "); raise the heap with MMMAMBA_XMX or use smaller inputs");
      code = INTERNAL_ERROR;
    }
    System.exit(code);
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
