package org.mmmamba.app.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Devices;
import org.mmmamba.core.api.InputLimits;
import org.mmmamba.core.api.Models;
import org.mmmamba.core.api.VlmChat;
import org.mmmamba.core.api.VlmRuns;
import org.mmmamba.core.generate.GenerationConfig;
import org.mmmamba.core.generate.Generator;
import org.mmmamba.core.io.AtomicText;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.model.VlmIo;
import org.mmmamba.core.vision.PreprocessedImage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code mmmamba generate}: prefill + cached decode; writes {"sequences": [[prompt..., new...],
 * ...]}.
 */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description =
        "Generate continuations of token-id prompts with the model's caches (KV or Mamba-2 state).")
final class GenerateCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "HF-format checkpoint directory.")
  Path model;

  @Option(
      names = "--input-ids",
      description = "JSON file {\"input_ids\": [[...], ...]} (or use --question).")
  Path inputIds;

  @Option(
      names = "--question",
      description =
          "Chat with a published HoVLE / mmMamba folder: the question, put in "
              + "the model's template (internlm2-chat) and tokenized with its tokenizer.model; stops at <|im_end|>.")
  String question;

  @Option(
      names = "--system",
      description = "System message for --question (default: the template's).")
  String system;

  @Option(
      names = "--image",
      description =
          "Image for a vision-language model (with --question, or filling the "
              + "<IMG_CONTEXT> placeholders of --input-ids).")
  Path image;

  @Option(
      names = "--max-new-tokens",
      defaultValue = "32",
      description = "Tokens to generate per row (default ${DEFAULT-VALUE}).")
  int maxNewTokens;

  @Option(
      names = "--greedy",
      description = "Argmax decoding (default when no --temperature is given).")
  boolean greedy;

  @Option(names = "--temperature", description = "Sampling temperature (enables sampling).")
  Double temperature;

  @Option(
      names = "--top-p",
      defaultValue = "1.0",
      description = "Nucleus sampling mass (default ${DEFAULT-VALUE}).")
  double topP;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "Sampling seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--stop",
      split = ",",
      description = "Stop token ids (default: the config's eos_token_id).")
  List<Integer> stop;

  @Option(names = "--no-stop", description = "Ignore eos: always generate --max-new-tokens tokens.")
  boolean noStop;

  @Option(names = "--out", required = true, description = "Output JSON file (written atomically).")
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
  public Integer call() throws Exception {
    OutPaths.requireWritableFile(out, "--out");
    if ((question == null) == (inputIds == null)) {
      throw new BadInputException("give exactly one of --input-ids and --question");
    }
    boolean useGreedy = greedy || temperature == null;
    if (question != null) {
      if (!useGreedy || stop != null || noStop) {
        throw new BadInputException(
            "--question decodes greedily up to <|im_end|>: --temperature, --stop and --no-stop "
                + "do not apply");
      }
      VlmChat chat = VlmChat.forModel(model, system);
      VlmChat.Prompt p = chat.prompt(question, image);
      VlmChat.Answer a;
      try (NDManager m = Devices.newManager(common.device);
          VisionLanguageModel vm = VlmIo.load(model, m, Devices.dtype(common.dtype))) {
        InputLimits.check(
            "--question", vm.config().stack(), new long[][] {p.ids()}, maxNewTokens, maxLength);
        a = chat.ask(vm, p, maxNewTokens);
      }
      ObjectMapper om = new ObjectMapper();
      ObjectNode root = om.createObjectNode();
      ArrayNode seq = root.putArray("sequences").addArray();
      for (long t : p.ids()) {
        seq.add(t);
      }
      for (long t : a.tokens()) {
        seq.add(t);
      }
      root.put("answer", a.text());
      AtomicText.writeString(out, om.writeValueAsString(root));
      System.out.println(a.text());
      System.out.println("wrote " + out);
      return 0;
    }
    long[][] ids = InputIds.read(inputIds);
    long[][] seqs;
    if (VlmIo.isVlm(model)) {
      PreprocessedImage px = image == null ? null : VlmRuns.preprocess(model, image);
      try (NDManager m = Devices.newManager(common.device);
          VisionLanguageModel vm = VlmIo.load(model, m, Devices.dtype(common.dtype))) {
        InputLimits.check(inputIds.toString(), vm.config().stack(), ids, maxNewTokens, maxLength);
        Set<Integer> stops = new HashSet<>();
        if (!noStop) {
          stops.addAll(stop != null ? stop : vm.config().stack().eosTokenIds());
        }
        seqs =
            VlmRuns.generate(
                vm,
                ids,
                px,
                new GenerationConfig(
                    maxNewTokens,
                    useGreedy,
                    temperature == null ? 1.0 : temperature,
                    topP,
                    seed,
                    stops));
      }
      return writeSequences(seqs);
    }
    if (image != null) {
      throw new BadInputException("--image: " + model + " is not a vision-language model");
    }
    try (NDManager m = Devices.newManager(common.device);
        DecoderModel dm = Models.load(model, m, Devices.dtype(common.dtype))) {
      InputLimits.check(inputIds.toString(), dm.config(), ids, maxNewTokens, maxLength);
      Set<Integer> stops = new HashSet<>();
      if (!noStop) {
        stops.addAll(stop != null ? stop : dm.config().eosTokenIds());
      }
      GenerationConfig g =
          new GenerationConfig(
              maxNewTokens, useGreedy, temperature == null ? 1.0 : temperature, topP, seed, stops);
      seqs = Generator.generate(dm, ids, g);
    }
    return writeSequences(seqs);
  }

  private int writeSequences(long[][] seqs) throws Exception {
    ObjectMapper om = new ObjectMapper();
    ObjectNode root = om.createObjectNode();
    ArrayNode rows = root.putArray("sequences");
    for (long[] s : seqs) {
      ArrayNode r = rows.addArray();
      for (long t : s) {
        r.add(t);
      }
    }
    AtomicText.writeString(out, om.writeValueAsString(root));
    System.out.println("wrote " + out);
    return 0;
  }
}
