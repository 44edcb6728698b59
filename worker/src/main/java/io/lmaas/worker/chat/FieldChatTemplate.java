package io.lmaas.worker.chat;

import java.util.List;

/**
 * The built-in networks' chat format: one format per role with a {@code {content}} placeholder, then the text that
 * cues the assistant's turn ({@code chat.*} in serving.properties). Pure.
 */
public record FieldChatTemplate(String system, String user, String assistant, String generationPrompt) implements ChatTemplate {

    @Override
    public String render(List<Message> messages) {
        return renderConversation(messages) + generationPrompt;
    }

    @Override
    public String renderConversation(List<Message> messages) {
        StringBuilder sb = new StringBuilder();
        for (Message m : messages) {
            String format = switch (m.role()) {
                case "system", "developer" -> system;
                case "user" -> user;
                case "assistant" -> assistant;
                default -> throw new IllegalArgumentException("unknown chat role '" + m.role() + "'");
            };
            sb.append(format.replace("{content}", m.content()));
        }
        return sb.toString();
    }
}
