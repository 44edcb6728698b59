package io.lmaas.worker.runtime;

/** An input longer than the model takes, refused (no silent truncation): names the input and both lengths. */
public final class InputTooLong extends IllegalArgumentException {
    private final int index;
    private final int tokens;
    private final int maximum;
    private final String param;

    public InputTooLong(int index, int tokens, int maximum) {
        this("input " + index + " has " + tokens + " tokens; the model takes at most " + maximum
                + " (send \"truncate\": true to cut longer inputs)", index, tokens, maximum, "input");
    }

    private InputTooLong(String message, int index, int tokens, int maximum, String param) {
        super(message);
        this.index = index;
        this.tokens = tokens;
        this.maximum = maximum;
        this.param = param;
    }

    /** A generation prompt that leaves no room in the context: {@code tokens} of a {@code context}-token window. */
    public static InputTooLong prompt(int tokens, int context) {
        return new InputTooLong("the prompt has " + tokens + " tokens; the model's context is " + context
                + " tokens, and at least one must be left to generate", 0, tokens, context, "messages");
    }

    /** The same refusal about the request field {@code field}. */
    public InputTooLong withParam(String field) {
        return new InputTooLong(getMessage(), index, tokens, maximum, field);
    }

    /** The request field the refusal is about. */
    public String param() {
        return param;
    }

    /** The same refusal for the input at {@code position} of a request. */
    public InputTooLong at(int position) {
        return "input".equals(param) ? new InputTooLong(position, tokens, maximum) : this;
    }

    public int index() {
        return index;
    }

    public int tokens() {
        return tokens;
    }

    public int maximum() {
        return maximum;
    }
}
