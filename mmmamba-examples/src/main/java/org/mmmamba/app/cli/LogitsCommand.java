package org.mmmamba.app.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Devices;
import org.mmmamba.core.api.InputLimits;
import org.mmmamba.core.api.Models;
import org.mmmamba.core.api.VlmRuns;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.model.VlmIo;
import org.mmmamba.core.vision.PreprocessedImage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code mmmamba logits}: full forward pass, logits [batch, length, vocab] as float32 safetensors.
 */
@Command(
    name = "logits",
    mixinStandardHelpOptions = true,
    description =
        "Run a model on token ids and write its logits (tensor 'logits', float32 [batch, length, vocab]).")
final class LogitsCommand implements Callable<Integer> {
  @Option(
      names = "--model",
      required = true,
      description = "HF-format checkpoint directory (config.json + safetensors).")
  Path model;

  @Option(
      names = "--input-ids",
      required = true,
      description = "JSON file {\"input_ids\": [[...], ...]} (rows of equal length).")
  Path inputIds;

  @Option(
      names = "--image",
      description =
          "Image for a vision-language model: it fills the <IMG_CONTEXT> "
              + "placeholders of every row that has them (tiling from the model's config).")
  Path image;

  @Option(
      names = "--out",
      required = true,
      description = "Output .safetensors file (written atomically).")
  Path out;

  @Option(
      names = "--max-length",
      defaultValue = "0",
      description =
          "Longest row allowed, generated tokens "
              + "included (default: the model's max_position_embeddings; see docs/robustness.md).")
  long maxLength;

  @Mixin CommonOptions common;

  @Override
  public Integer call() {
    OutPaths.requireWritableFile(out, "--out");
    long[][] ids = InputIds.read(inputIds);
    if (VlmIo.isVlm(model)) {
      PreprocessedImage px = image == null ? null : VlmRuns.preprocess(model, image);
      try (NDManager m = Devices.newManager(common.device);
          VisionLanguageModel vm = VlmIo.load(model, m, Devices.dtype(common.dtype))) {
        InputLimits.check(inputIds.toString(), vm.config().stack(), ids, 0, maxLength);
        VlmRuns.writeLogits(vm, ids, px, out);
      }
      System.out.println("wrote " + out);
      return 0;
    }
    if (image != null) {
      throw new BadInputException("--image: " + model + " is not a vision-language model");
    }
    try (NDManager m = Devices.newManager(common.device);
        DecoderModel dm = Models.load(model, m, Devices.dtype(common.dtype))) {
      InputLimits.check(inputIds.toString(), dm.config(), ids, 0, maxLength);
      Models.writeLogits(dm, ids, out);
    }
    System.out.println("wrote " + out);
    return 0;
  }
}
