package io.lmaas.worker.chat;

import java.util.List;

/** How a model version turns chat messages into its prompt. Implementations are thread-safe. */
public interface ChatTemplate {

    /** One chat message. */
    record Message(String role, String content) {
    }

    /** The prompt for the assistant's next turn: the messages, then the cue for the assistant. */
    String render(List<Message> messages);

    /** A whole conversation (assistant turns included), as a model is trained on it: no trailing cue. */
    String renderConversation(List<Message> messages);
}
