package org.mmmamba.core.text;

import java.util.Objects;

/**
 * One message of a conversation.
 *
 * @param role who speaks
 * @param content the text, possibly with {@code <image>} placeholders in user messages
 */
public record ChatMessage(Role role, String content) {
  /**
   * Rejects nulls.
   *
   * @param role who speaks
   * @param content the text, possibly with {@code <image>} placeholders in user messages
   */
  public ChatMessage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
  }

  /**
   * A user message.
   *
   * @param content the text
   * @return the message
   */
  public static ChatMessage user(String content) {
    return new ChatMessage(Role.USER, content);
  }

  /**
   * An assistant message.
   *
   * @param content the text
   * @return the message
   */
  public static ChatMessage assistant(String content) {
    return new ChatMessage(Role.ASSISTANT, content);
  }
}
