package io.lmaas.worker.chat;

import io.lmaas.core.crypto.Artifacts;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.CompositeELResolver;

/**
 * A model's own chat template ({@code tokenizer_config.json}'s {@code chat_template}, Jinja), rendered with Jinjava in
 * the environment Hugging Face's {@code apply_chat_template} gives it: {@code trim_blocks} and {@code lstrip_blocks},
 * {@code messages}, {@code add_generation_prompt}, the special tokens ({@code bos_token}, {@code eos_token}, ...),
 * {@code raise_exception}, {@code strftime_now}, {@code namespace}, {@code tojson}, and Python's string methods. Python
 * syntax Jinjava reads differently is rewritten first ({@link TemplateSource}).
 */
public final class JinjaChatTemplate implements ChatTemplate {
    private static final Jinjava JINJA = jinjava();

    private final String source;
    private final Map<String, Object> specialTokens;

    /** {@code specialTokens}: bos_token, eos_token, ... as the tokenizer configuration names them. */
    public JinjaChatTemplate(String source, Map<String, String> specialTokens) {
        this.source = TemplateSource.rewrite(source);
        this.specialTokens = new LinkedHashMap<>(specialTokens);
    }

    /**
     * The chat template of a Hugging Face directory: {@code chat_template.jinja}, or {@code tokenizer_config.json}'s
     * {@code chat_template} (a string, or a list of named templates: the one named "default"); empty if it has none.
     */
    public static java.util.Optional<ChatTemplate> fromDirectory(java.nio.file.Path directory) {
        io.vertx.core.json.JsonObject config = io.lmaas.worker.hf.HfDirectory.json(directory, "tokenizer_config.json");
        Map<String, String> tokens = new LinkedHashMap<>();
        for (String name : List.of("bos_token", "eos_token", "unk_token", "pad_token")) {
            String token = config == null ? null : tokenText(config.getValue(name));
            tokens.put(name, token == null ? "" : token);
        }
        java.nio.file.Path file = directory.resolve("chat_template.jinja");
        try {
            if (java.nio.file.Files.isRegularFile(file)) {
                return java.util.Optional.of(new JinjaChatTemplate(Artifacts.readString(file), tokens));
            }
        } catch (java.io.IOException e) {
            throw new io.lmaas.worker.modeldir.ModelDirectoryException("chat_template.jinja: unreadable (" + e.getMessage() + ")", e);
        }
        Object template = config == null ? null : config.getValue("chat_template");
        if (template instanceof io.vertx.core.json.JsonArray named) {
            template = named.stream().map(o -> (io.vertx.core.json.JsonObject) o).filter(o -> "default".equals(o.getString("name")))
                    .map(o -> o.getString("template")).findFirst().orElse(null);
        }
        return template instanceof String s && !s.isBlank() ? java.util.Optional.of(new JinjaChatTemplate(s, tokens))
                : java.util.Optional.empty();
    }

    /** A special token as tokenizer_config.json writes it: a string, or an AddedToken object with its content. */
    private static String tokenText(Object value) {
        if (value instanceof String s) {
            return s;
        }
        return value instanceof io.vertx.core.json.JsonObject o ? o.getString("content") : null;
    }

    private static Jinjava jinjava() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStrings());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        Jinjava j = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(false)
                .withElResolver(resolver).withFailOnUnknownTokens(false)
                .withLegacyOverrides(LegacyOverrides.newBuilder().withUseTrimmingForNotesAndExpressions(true)
                        .withUseNaturalOperatorPrecedence(true).withParseWhitespaceControlStrictly(true)
                        .withKeepNullableLoopValues(true).build())
                .build());
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", TemplateFunctions.class,
                "raiseException", String.class));
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now", TemplateFunctions.class,
                "strftimeNow", String.class));
        return j;
    }

    @Override
    public String render(List<Message> messages) {
        return render(messages, true);
    }

    @Override
    public String renderConversation(List<Message> messages) {
        return render(messages, false);
    }

    /** Renders; a template that raises, or fails, throws {@link IllegalArgumentException} with its reason. */
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> list = new ArrayList<>(messages.size());
        for (Message m : messages) {
            Map<String, Object> map = new HashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            list.add(map);
        }
        Map<String, Object> context = new HashMap<>(specialTokens);
        context.put("messages", list);
        context.put("add_generation_prompt", addGenerationPrompt);
        RenderResult result;
        try {
            result = JINJA.renderForResult(source, context);
        } catch (TemplateFunctions.TemplateRaised e) {
            throw new IllegalArgumentException("the model's chat template refused the messages: " + e.getMessage(), e);
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                Throwable cause = error.getException();
                while (cause != null && !(cause instanceof TemplateFunctions.TemplateRaised)) {
                    cause = cause.getCause();
                }
                throw new IllegalArgumentException(cause != null
                        ? "the model's chat template refused the messages: " + cause.getMessage()
                        : "the model's chat template cannot be rendered: " + error.getMessage());
            }
        }
        return result.getOutput();
    }
}
