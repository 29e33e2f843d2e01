package org.mmmamba.app.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.mmmamba.distill.eval.EvalReport;
import org.mmmamba.distill.eval.Evaluation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code mmmamba eval}: greedy exact match, agreement, KL and perplexity of a saved model. */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description =
        "Evaluate a vision-language model (teacher or student) on a LLaVA-format dataset.")
final class EvalCommand implements Callable<Integer> {
  @Option(
      names = "--model",
      required = true,
      description = "Model directory (config.json, safetensors, tokenizer.json).")
  Path model;

  @Option(
      names = "--data",
      required = true,
      description = "LLaVA JSON/JSONL file, or builtin:shapes.")
  String data;

  @Option(names = "--teacher", description = "Teacher directory: adds agreement and KL.")
  Path teacher;

  @Option(
      names = "--out",
      required = true,
      description = "Output directory for eval.json and eval.md.")
  Path out;

  @Option(
      names = "--limit",
      defaultValue = "0",
      description = "At most this many samples (0 = all).")
  int limit;

  @Option(
      names = "--max-new-tokens",
      defaultValue = "8",
      description = "Answer length limit (default ${DEFAULT-VALUE}).")
  int maxNewTokens;

  @Option(
      names = "--seed",
      defaultValue = "1",
      description = "builtin:shapes seed (held-out split).")
  long seed;

  @Option(names = "--n", defaultValue = "500", description = "builtin:shapes sample count.")
  int n;

  @Mixin CommonOptions common;

  @Override
  public Integer call() throws Exception {
    EvalReport r =
        Evaluation.run(
            model,
            teacher,
            new Evaluation.Options(data, seed, n, limit, maxNewTokens, common.device, common.dtype),
            out);
    System.out.printf(
        "accuracy %.4f on %d samples%s%n",
        r.accuracy(),
        r.n(),
        r.agreement() == null
            ? ""
            : String.format(", agreement %.4f, KL %.5f", r.agreement(), r.kl()));
    System.out.println("wrote " + out.resolve("eval.json"));
    return 0;
  }
}
