package org.mmmamba.app.robust;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mmmamba.app.cli.InputIds;
import org.mmmamba.core.Devices;
import org.mmmamba.core.api.InputLimits;
import org.mmmamba.core.api.Models;
import org.mmmamba.core.api.Students;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.generate.GenerationConfig;
import org.mmmamba.core.generate.Generator;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.seed.InitStrategy;
import org.mmmamba.distill.Distillation;
import org.mmmamba.distill.eval.Evaluation;
import org.mmmamba.distill.recipe.Recipes;
import org.mmmamba.distill.teacher.TeacherTraining;

/**
 * Calls the public Java API a notebook would use for the same inputs as a CLI command line (the
 * command's options mapped to API arguments), so each bad-input case is checked at both entry
 * points.
 */
final class ApiMirror {
  private static final Set<String> FLAGS =
      Set.of("--resume", "--force", "--greedy", "--no-stop", "--verbose");

  private ApiMirror() {}

  /** Parsed options: the last value of each, every value of --set. */
  record Opts(Map<String, String> one, List<String> sets, Set<String> flags) {
    String get(String k, String dflt) {
      return one.getOrDefault(k, dflt);
    }

    Path path(String k) {
      return one.containsKey(k) ? Path.of(one.get(k)) : null;
    }

    boolean has(String k) {
      return flags.contains(k);
    }
  }

  static Opts parse(List<String> args) {
    Map<String, String> one = new HashMap<>();
    List<String> sets = new ArrayList<>();
    java.util.HashSet<String> flags = new java.util.HashSet<>();
    for (int i = 1; i < args.size(); i++) {
      String a = args.get(i);
      if (FLAGS.contains(a)) {
        flags.add(a);
      } else if (a.equals("--set")) {
        sets.add(args.get(++i));
      } else {
        one.put(a, args.get(++i));
      }
    }
    return new Opts(one, sets, flags);
  }

  /** Runs the API for {@code args} (args[0] is the command). */
  static void call(List<String> args) throws Exception {
    Opts o = parse(args);
    switch (args.get(0)) {
      case "logits", "generate" -> {
        long[][] ids = InputIds.read(o.path("--input-ids"));
        try (NDManager m = Devices.newManager(o.get("--device", "auto"));
            DecoderModel dm =
                Models.load(o.path("--model"), m, Devices.dtype(o.get("--dtype", "float32")))) {
          int maxLength = Integer.parseInt(o.get("--max-length", "0"));
          if (args.get(0).equals("logits")) {
            InputLimits.check(o.path("--input-ids").toString(), dm.config(), ids, 0, maxLength);
            Models.writeLogits(dm, ids, o.path("--out"));
          } else {
            int n = Integer.parseInt(o.get("--max-new-tokens", "32"));
            String t = o.get("--temperature", null);
            GenerationConfig g =
                new GenerationConfig(
                    n,
                    t == null,
                    t == null ? 1.0 : Double.parseDouble(t),
                    Double.parseDouble(o.get("--top-p", "1.0")),
                    0,
                    Set.of());
            InputLimits.check(o.path("--input-ids").toString(), dm.config(), ids, n, maxLength);
            Generator.generate(dm, ids, g);
          }
        }
      }
      case "convert" ->
          Students.convert(
              o.path("--teacher"),
              HybridLayout.parse(o.get("--layout", "linear")),
              InitStrategy.parse(o.get("--init", "inherit_mimic")),
              Long.parseLong(o.get("--seed", "0")),
              Integer.parseInt(o.get("--conv-kernel", "2")),
              Integer.parseInt(o.get("--chunk-size", "128")),
              o.path("--out"),
              o.has("--force"));
      case "distill" -> {
        String layers = o.get("--layers", null);
        Distillation.run(
            Recipes.load(o.path("--config"), o.sets()),
            new Distillation.Options(
                o.has("--resume"),
                layers == null ? null : List.of(Integer.parseInt(layers)),
                List.of(),
                o.has("--force")));
      }
      case "eval" ->
          Evaluation.run(
              o.path("--model"),
              o.path("--teacher"),
              new Evaluation.Options(
                  o.get("--data", null),
                  Long.parseLong(o.get("--seed", "1")),
                  Integer.parseInt(o.get("--n", "500")),
                  Integer.parseInt(o.get("--limit", "0")),
                  Integer.parseInt(o.get("--max-new-tokens", "8")),
                  o.get("--device", "auto"),
                  o.get("--dtype", "float32")),
              o.path("--out"));
      case "train-teacher" ->
          TeacherTraining.run(
              TeacherTraining.load(o.path("--config"), o.sets()),
              o.has("--resume"),
              o.has("--force"));
      default -> throw new IllegalArgumentException("no API mirror for " + args.get(0));
    }
  }
}
