package io.lmaas.worker.modeldir;

import java.util.List;

/**
 * How a model version turns chat messages into its prompt: one format per role with a {@code {content}}
 * placeholder, then the text that cues the assistant's turn (pure).
 */
public record ChatTemplate(String system, String user, String assistant, String generationPrompt) {

    /** One chat message. */
    public record Message(String role, String content) {
    }

    /** The prompt for the assistant's next turn: the messages, then the cue. */
    public String render(List<Message> messages) {
        return renderConversation(messages) + generationPrompt;
    }

    /** A whole conversation (assistant turns included), as a model is trained on it: no trailing cue. */
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
