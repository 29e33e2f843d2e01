package org.mmmamba.app.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.mmmamba.app.MmMamba;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.api.Students;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.model.VlmIo;
import org.mmmamba.core.seed.InitStrategy;
import org.mmmamba.core.seed.Seeder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mmmamba convert}: seed a linear or hybrid Mamba-2 student from a Transformer teacher
 * (before training).
 */
@Command(
    name = "convert",
    mixinStandardHelpOptions = true,
    description =
        "Seed a Mamba-2 student (mmMamba layout) from an attention teacher checkpoint and write it.")
final class ConvertCommand implements Callable<Integer> {
  @Option(
      names = "--teacher",
      required = true,
      description = "Teacher checkpoint directory (Llama or InternLM2 layout).")
  Path teacher;

  @Option(
      names = "--layout",
      defaultValue = "linear",
      description =
          "Layers kept as attention: linear (default), "
              + "head-interleaved:K, tail-interleaved:K, head-stacked:K, tail-stacked:K, explicit:I,J,... or [I,J,...].")
  String layout;

  @Option(
      names = "--init",
      defaultValue = "inherit_mimic",
      description = "Mixer init: inherit_mimic (default), inherit, scratch.")
  String init;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "Seed of the new parameters (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--conv-kernel",
      defaultValue = "2",
      description = "Causal conv width d_conv (default ${DEFAULT-VALUE}).")
  int convKernel;

  @Option(
      names = "--chunk-size",
      defaultValue = "128",
      description = "SSD chunk length (default ${DEFAULT-VALUE}).")
  int chunkSize;

  @Option(
      names = "--out",
      required = true,
      description = "Output directory (must be missing or empty unless --force).")
  Path out;

  @Option(names = "--force", description = "Overwrite the weights in a non-empty --out.")
  boolean force;

  @Option(names = "--verbose", description = "Print stack traces on errors.")
  boolean verbose;

  @Override
  public Integer call() {
    HybridLayout l = HybridLayout.parse(layout);
    InitStrategy i = InitStrategy.parse(init);
    if (VlmIo.isVlm(teacher)) {
      if (convKernel != Seeder.DEFAULT_CONV_KERNEL
          || chunkSize != Seeder.DEFAULT_CHUNK_SIZE
          || force) {
        throw new BadInputException(
            "--conv-kernel, --chunk-size and --force are not supported for vision-language "
                + "teachers (the released layout fixes d_conv 2 and chunk size 128)");
      }
      MmMamba.convert(teacher, l, i, seed, out);
      System.out.println(
          "wrote vision-language student "
              + out
              + " (layout "
              + l
              + ", init "
              + i.spelling()
              + ", seed "
              + seed
              + ")");
      return 0;
    }
    DecoderConfig c = Students.convert(teacher, l, i, seed, convKernel, chunkSize, out, force);
    org.mmmamba.distill.card.Cards.writeConverted(
        out,
        teacher,
        l.toString(),
        i.spelling() + ", seed " + seed + ", conv kernel " + convKernel + ", chunk " + chunkSize,
        org.mmmamba.distill.metrics.RunManifest.buildCommit().orElse(null),
        "mmmamba convert --teacher "
            + teacher
            + " --layout "
            + l
            + " --init "
            + i.spelling()
            + " --seed "
            + seed
            + " --conv-kernel "
            + convKernel
            + " --chunk-size "
            + chunkSize
            + " --out "
            + out);
    int attn = c.attentionLayers().size();
    System.out.println(
        "wrote student "
            + out
            + " (layout "
            + l
            + ": "
            + (c.numLayers() - attn)
            + " Mamba-2 + "
            + attn
            + " attention layers "
            + c.attentionLayers()
            + ", init "
            + i.spelling()
            + ", seed "
            + seed
            + ")");
    return 0;
  }
}
