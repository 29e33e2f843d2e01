package org.mmmamba.app.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.config.VlmConfig;
import org.mmmamba.core.config.VlmConfigs;
import org.mmmamba.core.io.Dtype;
import org.mmmamba.core.model.RandomCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mmmamba random-teacher}: a random-weight teacher of any size in our HoVLE layout, written
 * tensor by tensor (BF16 shards by default), for benchmarks and dry runs at the paper's scale
 * (configs/teacher/hovle-2.6b.json).
 */
@Command(
    name = "random-teacher",
    mixinStandardHelpOptions = true,
    description =
        "Write a random-weight vision-language teacher (HoVLE layout, sharded safetensors) from a config.json.")
final class RandomTeacherCommand implements Callable<Integer> {
  @Option(
      names = "--config",
      required = true,
      description = "config.json in our HoVLE layout (e.g. configs/teacher/hovle-2.6b.json).")
  Path config;

  @Option(
      names = "--tokenizer",
      description = "tokenizer.json copied into --out (the model needs one to be used).")
  Path tokenizer;

  @Option(
      names = "--out",
      required = true,
      description = "Output directory (must be missing or empty).")
  Path out;

  @Option(names = "--dtype", defaultValue = "bf16", description = "bf16 (default) or f32.")
  String dtype;

  @Option(names = "--seed", defaultValue = "0", description = "Seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--std",
      defaultValue = "0.02",
      description = "Std of the matrices (default ${DEFAULT-VALUE}).")
  double std;

  @Option(
      names = "--shard-gb",
      defaultValue = "2",
      description = "Most GB of tensor data per shard (default ${DEFAULT-VALUE}).")
  double shardGb;

  @Option(names = "--verbose", description = "Print stack traces on errors.")
  boolean verbose;

  @Override
  public Integer call() throws Exception {
    Dtype dt =
        switch (dtype.toLowerCase(java.util.Locale.ROOT)) {
          case "bf16" -> Dtype.BF16;
          case "f32", "fp32", "float32" -> Dtype.F32;
          default ->
              throw new BadInputException("--dtype must be bf16 or f32, got '" + dtype + "'");
        };
    if (!Files.isRegularFile(config)) {
      throw new BadInputException("--config: " + config + " not found");
    }
    if (tokenizer != null && !Files.isRegularFile(tokenizer)) {
      throw new BadInputException("--tokenizer: " + tokenizer + " not found");
    }
    if (Files.isDirectory(out)) {
      try (var s = Files.list(out)) {
        if (s.findAny().isPresent()) {
          throw new BadInputException("--out: " + out + " is not empty");
        }
      }
    }
    if (!(shardGb > 0)) {
      throw new BadInputException("--shard-gb must be > 0");
    }
    VlmConfig c = VlmConfigs.read(config);
    long t0 = System.nanoTime();
    long n = RandomCheckpoint.write(c, out, dt, seed, std, (long) (shardGb * 1e9));
    if (tokenizer != null) {
      Files.copy(tokenizer, out.resolve("tokenizer.json"));
    }
    System.out.printf(
        "wrote %s: %,d parameters as %s in %.1f s%n", out, n, dt, (System.nanoTime() - t0) / 1e9);
    return 0;
  }
}
