package org.mmmamba.core.text;

import java.util.ArrayList;
import java.util.List;
import org.mmmamba.core.BadInputException;

/**
 * Turns a conversation into text segments tagged prompt/answer, so the caller can build label
 * masks.
 *
 * <p>Conversations are an optional leading {@link Role#SYSTEM} message (which replaces the
 * template's own system prompt), then user and assistant messages alternating, starting with the
 * user. When the last message is a user message, the assistant's opening is appended as prompt:
 * that is the generation prompt.
 */
public sealed interface ChatTemplate
    permits ChatTemplate.InternLm2Chat, ChatTemplate.Plain, JinjaChatTemplate {

  /**
   * HoVLE/InternVL's {@code internlm2-chat}: per turn {@code
   * <|im_start|>user\n{q}<|im_end|><|im_start|>assistant\n} (prompt) then {@code {a}<|im_end|>}
   * (answer), preceded by {@code <|im_start|>system\n{sys}<|im_end|>} when the system prompt is not
   * empty. No newline between turns (InternVL's MPT separator style).
   *
   * @param systemPrompt the system prompt; null or empty for none
   * @return the template
   */
  static ChatTemplate internlm2Chat(String systemPrompt) {
    return new InternLm2Chat(systemPrompt == null ? "" : systemPrompt);
  }

  /**
   * A minimal template for tiny models: {@code USER: {q} ASSISTANT: } (prompt) then {@code {a}</s>}
   * (answer); a system prompt, if given, is written first followed by a space.
   *
   * @return the template
   */
  static ChatTemplate plain() {
    return new Plain();
  }

  /**
   * Renders a conversation.
   *
   * @param messages the conversation
   * @return segments whose texts concatenate to the full prompt
   * @throws BadInputException if the roles do not alternate as described above
   */
  List<Segment> render(List<ChatMessage> messages);

  /**
   * @return the token that ends an answer (and stops generation)
   */
  String stopToken();

  /**
   * Renders to one string (prompt and answers together).
   *
   * @param messages the conversation
   * @return the concatenated segments
   */
  default String renderText(List<ChatMessage> messages) {
    StringBuilder sb = new StringBuilder();
    for (Segment s : render(messages)) {
      sb.append(s.text());
    }
    return sb.toString();
  }

  /** The {@code internlm2-chat} template; see {@link #internlm2Chat(String)}. */
  record InternLm2Chat(String systemPrompt) implements ChatTemplate {
    @Override
    public List<Segment> render(List<ChatMessage> messages) {
      List<Segment> out = new ArrayList<>();
      String sys = ChatTurns.system(messages, systemPrompt);
      if (!sys.isEmpty()) {
        out.add(new Segment("<|im_start|>system\n" + sys + "<|im_end|>", false));
      }
      for (ChatMessage m : ChatTurns.dialogue(messages)) {
        if (m.role() == Role.USER) {
          out.add(
              new Segment(
                  "<|im_start|>user\n" + m.content() + "<|im_end|><|im_start|>assistant\n", false));
        } else {
          out.add(new Segment(m.content() + "<|im_end|>", true));
        }
      }
      return out;
    }

    @Override
    public String stopToken() {
      return "<|im_end|>";
    }
  }

  /** The plain template; see {@link #plain()}. */
  record Plain() implements ChatTemplate {
    @Override
    public List<Segment> render(List<ChatMessage> messages) {
      List<Segment> out = new ArrayList<>();
      String sys = ChatTurns.system(messages, "");
      if (!sys.isEmpty()) {
        out.add(new Segment(sys + " ", false));
      }
      for (ChatMessage m : ChatTurns.dialogue(messages)) {
        if (m.role() == Role.USER) {
          out.add(new Segment("USER: " + m.content() + " ASSISTANT: ", false));
        } else {
          out.add(new Segment(m.content() + "</s>", true));
        }
      }
      return out;
    }

    @Override
    public String stopToken() {
      return "</s>";
    }
  }
}
