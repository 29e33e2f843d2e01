package org.mmmamba.distill.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.text.ChatMessage;
import org.mmmamba.core.text.ChatTemplate;
import org.mmmamba.core.text.JinjaChatTemplate;

/**
 * Which chat template a checkpoint gets: its own Jinja one when it has one, the built-ins by name.
 */
class TemplateChoiceTest {
  @TempDir Path tmp;

  @Test
  void autoTakesTheCheckpointsChatTemplateElsePlain() throws Exception {
    Path cfg = tmp.resolve("tokenizer_config.json");
    assertInstanceOf(ChatTemplate.Plain.class, TaskData.template("auto", cfg), "no file: plain");
    Files.writeString(cfg, "{\"eos_token\": \"</s>\"}");
    assertInstanceOf(
        ChatTemplate.Plain.class, TaskData.template("auto", cfg), "no chat_template: plain");
    Files.writeString(
        cfg,
        "{\"eos_token\": \"<|im_end|>\", \"chat_template\": \"{% for m in messages %}"
            + "{{ '<|im_start|>' + m['role'] + '\\\\n' + m['content'] + '<|im_end|>' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\\\n' }}{% endif %}\"}");
    ChatTemplate t = TaskData.template("auto", cfg);
    assertInstanceOf(JinjaChatTemplate.class, t);
    assertEquals(
        "<|im_start|>user\nq<|im_end|><|im_start|>assistant\na<|im_end|>",
        t.renderText(List.of(ChatMessage.user("q"), ChatMessage.assistant("a"))));
    assertEquals("<|im_end|>", t.stopToken());
    assertInstanceOf(JinjaChatTemplate.class, TaskData.template("jinja", cfg));
    // The built-ins stay available by name, whatever the checkpoint carries.
    assertInstanceOf(ChatTemplate.InternLm2Chat.class, TaskData.template("internlm2", cfg));
    assertInstanceOf(ChatTemplate.Plain.class, TaskData.template("plain", cfg));
  }

  @Test
  void jinjaWithoutAChatTemplateIsBadInputNamingTheFile() throws Exception {
    Path cfg = tmp.resolve("tokenizer_config.json");
    BadInputException e =
        assertThrows(BadInputException.class, () -> TaskData.template("jinja", cfg));
    assertTrue(e.getMessage().contains(cfg.toString()), e.getMessage());
    Files.writeString(cfg, "{}");
    e = assertThrows(BadInputException.class, () -> TaskData.template("jinja", cfg));
    assertTrue(e.getMessage().contains("has no chat_template"), e.getMessage());
    assertThrows(BadInputException.class, () -> TaskData.template("chatml", cfg));
  }
}
