package org.mmmamba.core.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.BadInputException;

class ChatTemplateTest {
  static final List<ChatMessage> TWO_TURNS =
      List.of(
          ChatMessage.user("<image>\nq1"),
          ChatMessage.assistant("a1"),
          ChatMessage.user("q2"),
          ChatMessage.assistant("a2"));

  @Test
  void internlm2ChatMultiTurn() {
    List<Segment> s = ChatTemplate.internlm2Chat("sys").render(TWO_TURNS);
    assertEquals(
        List.of(
            new Segment("<|im_start|>system\nsys<|im_end|>", false),
            new Segment("<|im_start|>user\n<image>\nq1<|im_end|><|im_start|>assistant\n", false),
            new Segment("a1<|im_end|>", true),
            new Segment("<|im_start|>user\nq2<|im_end|><|im_start|>assistant\n", false),
            new Segment("a2<|im_end|>", true)),
        s);
    assertEquals("<|im_end|>", ChatTemplate.internlm2Chat(null).stopToken());
  }

  @Test
  void emptySystemPromptIsOmittedAndSystemMessageOverrides() {
    assertEquals(
        "<|im_start|>user\nq<|im_end|><|im_start|>assistant\na<|im_end|>",
        ChatTemplate.internlm2Chat("")
            .renderText(List.of(ChatMessage.user("q"), ChatMessage.assistant("a"))));
    assertEquals(
        "<|im_start|>system\nS<|im_end|><|im_start|>user\nq<|im_end|><|im_start|>assistant\n",
        ChatTemplate.internlm2Chat("default")
            .renderText(List.of(new ChatMessage(Role.SYSTEM, "S"), ChatMessage.user("q"))));
  }

  @Test
  void plainTemplate() {
    ChatTemplate t = ChatTemplate.plain();
    assertEquals(
        "USER: <image>\nq1 ASSISTANT: a1</s>USER: q2 ASSISTANT: a2</s>", t.renderText(TWO_TURNS));
    assertEquals(
        List.of(new Segment("USER: q ASSISTANT: ", false)),
        t.render(List.of(ChatMessage.user("q"))));
    assertEquals("</s>", t.stopToken());
  }

  @Test
  void badRoleOrderIsBadInput() {
    BadInputException e =
        assertThrows(
            BadInputException.class,
            () ->
                ChatTemplate.plain().render(List.of(ChatMessage.user("a"), ChatMessage.user("b"))));
    assertTrue(e.getMessage().contains("turn 1"), e.getMessage());
    assertThrows(
        BadInputException.class,
        () -> ChatTemplate.plain().render(List.of(ChatMessage.assistant("a"))));
    assertThrows(BadInputException.class, () -> ChatTemplate.plain().render(List.of()));
  }

  @Test
  void llavaRoles() {
    assertEquals(Role.USER, Role.fromLlava("human").orElseThrow());
    assertEquals(Role.ASSISTANT, Role.fromLlava("gpt").orElseThrow());
    assertEquals(Role.SYSTEM, Role.fromLlava("System").orElseThrow());
    assertTrue(Role.fromLlava("bot").isEmpty());
  }
}
