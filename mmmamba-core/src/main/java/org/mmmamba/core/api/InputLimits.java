package org.mmmamba.core.api;

import org.mmmamba.core.BadInputException;
import org.mmmamba.core.config.DecoderConfig;

/**
 * Token ids must lie in {@code [0, vocab_size)}. The length rule for token inputs
 * (docs/robustness.md): a row of {@code L} tokens that will grow by {@code n} generated tokens must
 * satisfy {@code L + n <= limit}, where the limit is
 *
 * <ul>
 *   <li>an explicit {@code maxLength} (the CLI's {@code --max-length}) when it is &gt; 0, else
 *   <li>for a model with attention layers, the longest context its RoPE makes valid: {@code
 *       max_position_embeddings} without scaling (the context it was trained for; like Hugging
 *       Face, the model itself would run longer, which is what an explicit {@code maxLength}
 *       allows), {@code factor x max_position_embeddings} with linear scaling (positions are
 *       divided by the factor), and no model limit with dynamic NTK scaling (it rescales the RoPE
 *       base for any length past {@code max_position_embeddings}, which is what it exists for;
 *       transformers runs it there and our logits match its own, HfConformanceTest /
 *       llama_headdim), else
 *   <li>no model limit (a pure Mamba-2 model has no positions),
 * </ul>
 *
 * and always {@code L + n <= } {@link #HARD_LIMIT}, the largest Java array.
 */
public final class InputLimits {
  /** The largest length any row may reach (Java arrays hold at most about 2^31 elements). */
  public static final long HARD_LIMIT = Integer.MAX_VALUE - 8;

  private InputLimits() {}

  /** The limit for {@code c} ({@code maxLength} &gt; 0 overrides the model's). */
  public static long limit(DecoderConfig c, long maxLength) {
    if (maxLength > 0) {
      return Math.min(maxLength, HARD_LIMIT);
    }
    if (c.attentionLayers().isEmpty() || c.maxPositionEmbeddings() <= 0) {
      return HARD_LIMIT;
    }
    return switch (c.ropeScaling().type()) {
      case DYNAMIC -> HARD_LIMIT;
      case LINEAR ->
          (long)
              Math.min(
                  HARD_LIMIT, Math.floor(c.ropeScaling().factor() * c.maxPositionEmbeddings()));
      case NONE -> c.maxPositionEmbeddings();
    };
  }

  /**
   * Checks every row of {@code ids}: token ids inside the vocabulary, length within the limit.
   *
   * @param where names the input in the message (e.g. the file)
   * @param newTokens tokens that will be appended to every row (0 for a forward pass)
   * @param maxLength explicit limit, or 0 for the model's
   * @throws BadInputException naming {@code where} and the bad id, or the length and the limit
   */
  public static void check(
      String where, DecoderConfig c, long[][] ids, long newTokens, long maxLength) {
    long limit = limit(c, maxLength);
    for (int i = 0; i < ids.length; i++) {
      long[] row = ids[i];
      for (int t = 0; t < row.length; t++) {
        if (row[t] < 0 || row[t] >= c.vocabSize()) {
          throw new BadInputException(
              where
                  + ": token id "
                  + row[t]
                  + " at row "
                  + i
                  + ", position "
                  + t
                  + " is outside the vocabulary [0, "
                  + c.vocabSize()
                  + ")");
        }
      }
      long total = row.length + Math.max(0, newTokens);
      if (total > limit) {
        String why =
            maxLength > 0
                ? "--max-length"
                : limit == HARD_LIMIT
                    ? "the largest Java array"
                    : c.ropeScaling().type() == org.mmmamba.core.config.RopeScaling.Type.LINEAR
                        ? "linear rope scaling factor x max_position_embeddings of the model; allow more with --max-length"
                        : "max_position_embeddings of the model; allow more with --max-length";
        throw new BadInputException(
            where
                + ": row length "
                + row.length
                + (newTokens > 0 ? " + " + newTokens + " new tokens" : "")
                + " exceeds the model's limit of "
                + limit
                + " tokens ("
                + why
                + ")");
      }
    }
  }
}
