package org.mmmamba.core.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.mmmamba.core.BadInputException;

/**
 * A checkpoint's own chat template: the Jinja {@code chat_template} of its {@code
 * tokenizer_config.json}, rendered as transformers' {@code apply_chat_template(...,
 * tokenize=False)} renders it.
 *
 * <p>transformers' conventions, reproduced here on Jinjava: {@code trim_blocks} and {@code
 * lstrip_blocks} on, a single trailing newline of the template dropped ({@code
 * keep_trailing_newline=False}), the variables {@code messages}, {@code add_generation_prompt},
 * {@code tools} and the special tokens ({@code bos_token}, {@code eos_token}, {@code unk_token},
 * {@code pad_token}), the function {@code raise_exception(msg)} (a {@link BadInputException}
 * carrying {@code msg}) and the filter {@code tojson} written as Python's {@code
 * json.dumps(ensure_ascii=False)} writes it. Undefined names render empty and test false, as in
 * Jinja2.
 *
 * <p>For training, {@link #render(List)} splits the text into prompt and answer segments by
 * rendering prefixes of the conversation: the answer of assistant turn i is what {@code
 * messages[0..i]} adds to {@code messages[0..i)} with the generation prompt. A template whose
 * renderings are not prefixes of each other is refused for training (it still renders with {@link
 * #renderText(List, boolean, Map)}).
 */
public final class JinjaChatTemplate implements ChatTemplate {
  private static final Jinjava JINJAVA = jinjava();

  private final String source;
  private final Map<String, String> specialTokens;

  private JinjaChatTemplate(String source, Map<String, String> specialTokens) {
    this.source = source.endsWith("\n") ? source.substring(0, source.length() - 1) : source;
    this.specialTokens = Map.copyOf(specialTokens);
  }

  /**
   * A template from its source and special tokens.
   *
   * @param source the Jinja text
   * @param specialTokens e.g. {@code bos_token -> "<s>"}; absent ones render empty
   * @return the template
   */
  public static JinjaChatTemplate of(String source, Map<String, String> specialTokens) {
    return new JinjaChatTemplate(source, specialTokens);
  }

  /**
   * The template of a {@code tokenizer_config.json}: its {@code chat_template} (a string, or a list
   * of {@code {name, template}} from which {@code default} is taken; without the key, a {@code
   * chat_template.jinja} beside it, as transformers 4.43+ saves it) and its special tokens (strings
   * or {@code {"content": ...}} objects).
   *
   * @param tokenizerConfig the file
   * @return the template, or empty when the file has no {@code chat_template}
   * @throws BadInputException naming the file when it is not valid JSON or the key has another
   *     shape
   */
  public static Optional<JinjaChatTemplate> fromTokenizerConfig(Path tokenizerConfig) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(tokenizerConfig.toFile());
    } catch (IOException e) {
      throw new BadInputException(
          tokenizerConfig
              + ": not valid JSON ("
              + e.getMessage().lines().findFirst().orElse("")
              + ")");
    }
    JsonNode t = root == null ? null : root.get("chat_template");
    String source = null;
    Path jinjaFile = tokenizerConfig.resolveSibling("chat_template.jinja");
    if ((t == null || t.isNull()) && Files.isRegularFile(jinjaFile)) {
      try {
        source = Files.readString(jinjaFile);
      } catch (IOException e) {
        throw new BadInputException(jinjaFile + ": cannot read (" + e.getMessage() + ")");
      }
    } else if (t == null || t.isNull()) {
      return Optional.empty();
    } else if (t.isTextual()) {
      source = t.asText();
    } else if (t.isArray()) {
      for (JsonNode n : t) {
        if ("default".equals(n.path("name").asText()) && n.path("template").isTextual()) {
          source = n.get("template").asText();
        }
      }
    }
    if (source == null) {
      throw new BadInputException(
          tokenizerConfig
              + ": chat_template must be a string or a list of "
              + "{name, template} with a 'default' one");
    }
    Map<String, String> special = new HashMap<>();
    for (String k : List.of("bos_token", "eos_token", "unk_token", "pad_token")) {
      JsonNode v = root.get(k);
      if (v != null && v.isTextual()) {
        special.put(k, v.asText());
      } else if (v != null && v.path("content").isTextual()) {
        special.put(k, v.get("content").asText());
      }
    }
    return Optional.of(new JinjaChatTemplate(source, special));
  }

  /**
   * @return the Jinja source (without the trailing newline Jinja2 drops)
   */
  public String source() {
    return source;
  }

  /**
   * Renders a conversation as transformers does.
   *
   * @param messages each a map with at least {@code role} and {@code content}, as in transformers
   * @param addGenerationPrompt transformers' {@code add_generation_prompt}
   * @param extra more variables, e.g. {@code tools}; may be empty
   * @return the text
   * @throws BadInputException with the template's message when it calls {@code raise_exception}, or
   *     naming the first template error
   */
  public String renderText(
      List<? extends Map<String, ?>> messages, boolean addGenerationPrompt, Map<String, ?> extra) {
    Map<String, Object> vars = new HashMap<>(specialTokens);
    vars.put("tools", null);
    vars.putAll(extra);
    vars.put("messages", messages);
    vars.put("add_generation_prompt", addGenerationPrompt);
    RenderResult r = JINJAVA.renderForResult(source, vars);
    for (TemplateError e : r.getErrors()) {
      Throwable cause = e.getException();
      while (cause != null) {
        if (cause instanceof Raised raised) {
          throw new BadInputException(raised.getMessage());
        }
        cause = cause.getCause();
      }
      if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
        throw new BadInputException(
            "chat template: "
                + e.getMessage()
                + (e.getLineno() > 0 ? " (line " + e.getLineno() + ")" : ""));
      }
    }
    return r.getOutput();
  }

  /**
   * Renders a conversation of {@link ChatMessage}s ({@code role} in lower case).
   *
   * @param messages the conversation
   * @param addGenerationPrompt transformers' {@code add_generation_prompt}
   * @return the text
   */
  public String renderText(List<ChatMessage> messages, boolean addGenerationPrompt) {
    return renderText(maps(messages), addGenerationPrompt, Map.of());
  }

  @Override
  public List<Segment> render(List<ChatMessage> messages) {
    ChatTurns.dialogue(messages);
    List<Map<String, Object>> m = maps(messages);
    boolean endsWithUser = messages.get(messages.size() - 1).role() == Role.USER;
    String full = renderText(m, endsWithUser, Map.of());
    List<Segment> out = new ArrayList<>();
    int pos = 0;
    for (int i = 0; i < m.size(); i++) {
      if (messages.get(i).role() != Role.ASSISTANT) {
        continue;
      }
      String prompt = renderText(m.subList(0, i), true, Map.of());
      String upTo = renderText(m.subList(0, i + 1), false, Map.of());
      if (prompt.length() < pos || !upTo.startsWith(prompt) || !full.startsWith(upTo)) {
        throw new BadInputException(
            "chat template: the rendering of the first "
                + (i + 1)
                + " messages is not "
                + "a prefix of the whole conversation's, so answers cannot be told from prompts");
      }
      if (prompt.length() > pos) {
        out.add(new Segment(full.substring(pos, prompt.length()), false));
      }
      out.add(new Segment(full.substring(prompt.length(), upTo.length()), true));
      pos = upTo.length();
    }
    if (full.length() > pos) {
      out.add(new Segment(full.substring(pos), false));
    }
    return out;
  }

  /**
   * @return the {@code eos_token}, which ends an answer in transformers' generation
   */
  @Override
  public String stopToken() {
    String eos = specialTokens.get("eos_token");
    if (eos == null || eos.isEmpty()) {
      throw new BadInputException("chat template: no eos_token to stop generation at");
    }
    return eos;
  }

  private static List<Map<String, Object>> maps(List<ChatMessage> messages) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (ChatMessage c : messages) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("role", c.role().name().toLowerCase(Locale.ROOT));
      m.put("content", c.content());
      out.add(m);
    }
    return out;
  }

  /**
   * What {@code raise_exception} throws; turned into a {@link BadInputException} with its message.
   */
  static final class Raised extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Raised(String message) {
      super(message);
    }
  }

  /**
   * transformers' {@code raise_exception(message)}.
   *
   * @param message the template's message
   * @return never
   */
  public static Object raiseException(Object message) {
    throw new Raised(String.valueOf(message));
  }

  /** transformers' {@code tojson}: Python's json.dumps(x, ensure_ascii=False, indent=indent). */
  static final class ToJson implements Filter {
    @Override
    public String getName() {
      return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      return filter(var, interpreter, args, Map.of());
    }

    @Override
    public Object filter(
        Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
      Object indent =
          kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
      return PythonJson.dumps(var, indent == null ? null : Integer.valueOf(indent.toString()));
    }
  }

  private static Jinjava jinjava() {
    JinjavaConfig cfg =
        JinjavaConfig.newBuilder()
            .withTrimBlocks(true)
            .withLstripBlocks(true)
            .withFailOnUnknownTokens(false)
            .withNestedInterpretationEnabled(
                false) // message text is data: "{{ x }}" in a message stays as written
            .withLegacyOverrides(
                LegacyOverrides.newBuilder()
                    .withUseNaturalOperatorPrecedence(
                        true) // filters bind tighter than '+', as in Jinja2
                    .withParseWhitespaceControlStrictly(true)
                    .withUseTrimmingForNotesAndExpressions(true) // {{- x -}} trims like {%- -%}
                    .withKeepNullableLoopValues(true)
                    .build())
            .build();
    Jinjava j = new Jinjava(cfg);
    j.registerFunction(
        new ELFunctionDefinition(
            "", "raise_exception", JinjaChatTemplate.class, "raiseException", Object.class));
    j.registerFilter(new ToJson());
    return j;
  }
}
