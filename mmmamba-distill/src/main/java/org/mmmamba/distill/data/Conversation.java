package org.mmmamba.distill.data;

import java.util.Objects;

/**
 * One turn of a LLaVA-style conversation, as written in the data file.
 *
 * @param from who speaks: {@code human}, {@code gpt} (also {@code user}, {@code assistant}, {@code
 *     system})
 * @param value the text; the first human turn of an image sample holds {@code <image>}
 */
public record Conversation(String from, String value) {
  /**
   * Rejects nulls.
   *
   * @param from who speaks: {@code human}, {@code gpt} (also {@code user}, {@code assistant},
   *     {@code system})
   * @param value the text; the first human turn of an image sample holds {@code <image>}
   */
  public Conversation {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(value, "value");
  }
}
