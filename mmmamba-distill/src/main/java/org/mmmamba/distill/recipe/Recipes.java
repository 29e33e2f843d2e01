package org.mmmamba.distill.recipe;

import java.nio.file.Path;
import java.util.List;

/** Loads and validates distillation run configs ({@link RunConfig}) from YAML. */
public final class Recipes {
  /** Classpath resource holding every default. */
  public static final String DEFAULTS = "/org/mmmamba/distill/recipe/distill-defaults.yaml";

  private Recipes() {}

  /** Loads {@code file} over the defaults, applies {@code --set} overrides, validates. */
  public static YamlConfigs.Located<RunConfig> load(Path file, List<String> overrides) {
    YamlConfigs.Located<RunConfig> at =
        YamlConfigs.load(file, RunConfig.class, DEFAULTS, overrides);
    at.value().validate(at);
    return at;
  }

  /** Same from text (tests, notebooks). */
  public static YamlConfigs.Located<RunConfig> parse(
      String yaml, String source, List<String> overrides) {
    YamlConfigs.Located<RunConfig> at =
        YamlConfigs.loadText(yaml, source, RunConfig.class, DEFAULTS, overrides);
    at.value().validate(at);
    return at;
  }
}
