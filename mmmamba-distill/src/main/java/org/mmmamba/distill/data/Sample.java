package org.mmmamba.distill.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.text.ChatMessage;
import org.mmmamba.core.text.Role;

/**
 * One training or evaluation example in LLaVA form.
 *
 * @param id the sample id
 * @param image the resolved image file, or null for a text-only sample
 * @param conversations the turns, in order
 * @param questionType an optional category (e.g. the synthetic task's question type), or null
 * @param origin where the sample was read, for messages (e.g. {@code train.jsonl line 17})
 */
public record Sample(
    String id, Path image, List<Conversation> conversations, String questionType, String origin) {

  /**
   * Copies the turn list and rejects nulls where they are not allowed.
   *
   * @param id the sample id
   * @param image the resolved image file, or null for a text-only sample
   * @param conversations the turns, in order
   * @param questionType an optional category (e.g. the synthetic task's question type), or null
   * @param origin where the sample was read, for messages (e.g. {@code train.jsonl line 17})
   */
  public Sample {
    Objects.requireNonNull(id, "id");
    conversations = List.copyOf(conversations);
    origin = origin == null ? id : origin;
  }

  /**
   * @return true when the sample has an image
   */
  public boolean hasImage() {
    return image != null;
  }

  /**
   * The turns as chat messages.
   *
   * @return the messages
   * @throws BadInputException if a turn's {@code from} is not a known role
   */
  public List<ChatMessage> messages() {
    List<ChatMessage> out = new ArrayList<>(conversations.size());
    for (int i = 0; i < conversations.size(); i++) {
      Conversation c = conversations.get(i);
      int turn = i;
      Role r =
          Role.fromLlava(c.from())
              .orElseThrow(
                  () ->
                      new BadInputException(
                          origin
                              + ": conversations["
                              + turn
                              + "].from '"
                              + c.from()
                              + "' is not human/gpt/system"));
      out.add(new ChatMessage(r, c.value()));
    }
    return out;
  }
}
