package org.mmmamba.core.generate;

import java.util.Set;
import org.mmmamba.core.BadInputException;

/**
 * How to decode.
 *
 * @param maxNewTokens tokens to generate at most per row
 * @param greedy argmax decoding (temperature and topP are ignored)
 * @param temperature softmax temperature for sampling (> 0)
 * @param topP nucleus mass in (0, 1]
 * @param seed RNG seed for sampling (same seed, same tokens)
 * @param stopTokens a row stops after emitting one of these
 */
public record GenerationConfig(
    int maxNewTokens,
    boolean greedy,
    double temperature,
    double topP,
    long seed,
    Set<Integer> stopTokens) {
  /** Defensive copy. */
  public GenerationConfig {
    stopTokens = Set.copyOf(stopTokens);
  }

  /** Greedy decoding of {@code n} tokens, no stop tokens. */
  public static GenerationConfig greedy(int n) {
    return new GenerationConfig(n, true, 1.0, 1.0, 0, Set.of());
  }

  /** Same with stop tokens. */
  public GenerationConfig withStopTokens(Set<Integer> stops) {
    return new GenerationConfig(maxNewTokens, greedy, temperature, topP, seed, stops);
  }

  /** Checks the values. */
  public GenerationConfig validate() {
    if (maxNewTokens < 0) {
      throw new BadInputException("max_new_tokens must be >= 0, got " + maxNewTokens);
    }
    if (!greedy && !(temperature > 0)) {
      throw new BadInputException("temperature must be > 0, got " + temperature);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new BadInputException("top_p must be in (0, 1], got " + topP);
    }
    return this;
  }
}
