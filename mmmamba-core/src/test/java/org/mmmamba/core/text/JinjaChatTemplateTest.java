package org.mmmamba.core.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.BadInputException;

/**
 * Real-world chat templates (InternLM2, Qwen2, Qwen2.5 with tools, Llama-3, Mistral, Gemma, Zephyr)
 * rendered by {@link JinjaChatTemplate} equal transformers' {@code apply_chat_template} output,
 * recorded by scripts/fixtures/make_chat_template_fixtures.py with transformers 5.17
 * (fixtures/chat_templates/).
 */
class JinjaChatTemplateTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  static JsonNode fixtures() throws IOException {
    try (InputStream in =
        JinjaChatTemplateTest.class.getResourceAsStream(
            "/fixtures/chat_templates/chat_templates.json")) {
      return JSON.readTree(in);
    }
  }

  static JinjaChatTemplate template(JsonNode t) {
    Map<String, String> special = new HashMap<>();
    for (String k : List.of("bos_token", "eos_token")) {
      if (t.path(k).isTextual()) {
        special.put(k, t.get(k).asText());
      }
    }
    special.put("unk_token", "<unk>");
    return JinjaChatTemplate.of(t.get("chat_template").asText(), special);
  }

  @TestFactory
  Stream<DynamicTest> everyFixtureCaseRendersAsTransformersDoes() throws IOException {
    JsonNode root = fixtures();
    assertTrue(
        root.path("versions").path("renderer").asText().startsWith("transformers"),
        "fixtures made with transformers, not the dry run");
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode t : root.get("templates")) {
      JinjaChatTemplate tpl = template(t);
      for (JsonNode c : t.get("cases")) {
        tests.add(
            DynamicTest.dynamicTest(
                t.get("name").asText() + "/" + c.get("name").asText(),
                () -> {
                  List<Map<String, Object>> messages =
                      JSON.convertValue(c.get("messages"), new TypeReference<>() {});
                  Map<String, Object> extra = new HashMap<>();
                  if (c.has("tools")) {
                    extra.put(
                        "tools",
                        JSON.convertValue(c.get("tools"), new TypeReference<List<Object>>() {}));
                  }
                  boolean gen = c.get("add_generation_prompt").asBoolean();
                  if (c.has("error")) {
                    BadInputException e =
                        assertThrows(
                            BadInputException.class, () -> tpl.renderText(messages, gen, extra));
                    assertEquals(c.get("error").asText(), e.getMessage());
                  } else {
                    assertEquals(c.get("output").asText(), tpl.renderText(messages, gen, extra));
                  }
                }));
      }
    }
    assertTrue(tests.size() >= 30);
    return tests.stream();
  }

  @Test
  void segmentsConcatenateToTheRenderingAndMarkExactlyTheAnswers() throws IOException {
    JsonNode qwen = null;
    for (JsonNode t : fixtures().get("templates")) {
      if (t.get("name").asText().equals("qwen2")) {
        qwen = t;
      }
    }
    JinjaChatTemplate tpl = template(qwen);
    List<ChatMessage> conv =
        List.of(
            ChatMessage.user("q1"),
            ChatMessage.assistant("a1"),
            ChatMessage.user("q2"),
            ChatMessage.assistant("a2"));
    List<Segment> s = tpl.render(conv);
    assertEquals(tpl.renderText(conv, false), tpl.renderText(conv));
    List<String> answers = s.stream().filter(Segment::answer).map(Segment::text).toList();
    assertEquals(List.of("a1<|im_end|>\n", "a2<|im_end|>\n"), answers);
    assertEquals("<|im_end|>", tpl.stopToken());
    // Ending with a user turn: the generation prompt closes the text.
    List<Segment> open = tpl.render(conv.subList(0, 3));
    assertTrue(open.get(open.size() - 1).text().endsWith("<|im_start|>assistant\n"));
  }

  @Test
  void readsTheTemplateAndTokensOfATokenizerConfig() throws IOException {
    Path f = tmp.resolve("tokenizer_config.json");
    Files.writeString(
        f,
        "{\"bos_token\": {\"content\": \"<s>\", \"lstrip\": false}, \"eos_token\": \"</s>\","
            + " \"chat_template\": [{\"name\": \"tool_use\", \"template\": \"x\"},"
            + " {\"name\": \"default\", \"template\": \"{{ bos_token }}{{ messages[0]['content'] }}{{ eos_token }}\\n\"}]}");
    JinjaChatTemplate t = JinjaChatTemplate.fromTokenizerConfig(f).orElseThrow();
    assertEquals("<s>hi</s>", t.renderText(List.of(ChatMessage.user("hi")), false));
    Files.writeString(f, "{\"eos_token\": \"</s>\"}");
    assertTrue(JinjaChatTemplate.fromTokenizerConfig(f).isEmpty());
    Files.writeString(f, "{\"chat_template\": 3}");
    BadInputException e =
        assertThrows(BadInputException.class, () -> JinjaChatTemplate.fromTokenizerConfig(f));
    assertTrue(e.getMessage().startsWith(f + ": chat_template"), e.getMessage());
  }

  @Test
  void pythonJsonMatchesJsonDumps() {
    // Values from Python 3.12: json.dumps(x, ensure_ascii=False)
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("a", java.util.Arrays.asList(1, 2.5, null, true));
    m.put("b", "é\n\"");
    assertEquals("{\"a\": [1, 2.5, null, true], \"b\": \"é\\n\\\"\"}", PythonJson.dumps(m, null));
    assertEquals("1e-05", PythonJson.pyFloat(1e-5));
    assertEquals("0.0001", PythonJson.pyFloat(1e-4));
    assertEquals("1e+16", PythonJson.pyFloat(1e16));
    assertEquals("1234567890123456.0", PythonJson.pyFloat(1234567890123456.0));
    assertEquals("-2.5", PythonJson.pyFloat(-2.5));
    assertEquals("0.1", PythonJson.pyFloat(0.1));
    assertEquals(
        "[\n  1,\n  {\n    \"k\": []\n  }\n]",
        PythonJson.dumps(List.of(1, Map.of("k", List.of())), 2));
  }
}
