package org.mmmamba.core.text;

import java.util.Locale;
import java.util.Optional;

/** Who speaks a chat message. */
public enum Role {
  /** The system prompt. */
  SYSTEM,
  /** The user (LLaVA data: {@code "human"}). */
  USER,
  /** The model (LLaVA data: {@code "gpt"}). */
  ASSISTANT;

  /**
   * Maps a LLaVA/ShareGPT {@code from} field to a role.
   *
   * @param from {@code human}/{@code user}, {@code gpt}/{@code assistant} or {@code system}
   *     (case-insensitive)
   * @return the role, or empty for anything else
   */
  public static Optional<Role> fromLlava(String from) {
    if (from == null) {
      return Optional.empty();
    }
    switch (from.toLowerCase(Locale.ROOT)) {
      case "human":
      case "user":
        return Optional.of(USER);
      case "gpt":
      case "assistant":
        return Optional.of(ASSISTANT);
      case "system":
        return Optional.of(SYSTEM);
      default:
        return Optional.empty();
    }
  }
}
