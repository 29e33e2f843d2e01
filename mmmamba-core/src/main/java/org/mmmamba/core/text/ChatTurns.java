package org.mmmamba.core.text;

import java.util.List;
import org.mmmamba.core.BadInputException;

/** Role-order checks shared by the {@link ChatTemplate}s. */
final class ChatTurns {
  private ChatTurns() {}

  /** The leading system message's text, or the fallback when there is none. */
  static String system(List<ChatMessage> messages, String fallback) {
    if (!messages.isEmpty() && messages.get(0).role() == Role.SYSTEM) {
      return messages.get(0).content();
    }
    return fallback;
  }

  /** The messages after the system message, checked to alternate user/assistant from the user. */
  static List<ChatMessage> dialogue(List<ChatMessage> messages) {
    int start = !messages.isEmpty() && messages.get(0).role() == Role.SYSTEM ? 1 : 0;
    List<ChatMessage> d = messages.subList(start, messages.size());
    if (d.isEmpty()) {
      throw new BadInputException("conversation has no user message");
    }
    for (int i = 0; i < d.size(); i++) {
      Role want = i % 2 == 0 ? Role.USER : Role.ASSISTANT;
      if (d.get(i).role() != want) {
        throw new BadInputException(
            "conversation turn " + (start + i) + ": expected " + want + ", got " + d.get(i).role());
      }
    }
    return d;
  }
}
