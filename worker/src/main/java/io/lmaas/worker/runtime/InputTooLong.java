package io.lmaas.worker.runtime;

/** An input longer than the model takes, refused (no silent truncation): names the input and both lengths. */
public final class InputTooLong extends IllegalArgumentException {
    private final int index;
    private final int tokens;
    private final int maximum;

    public InputTooLong(int index, int tokens, int maximum) {
        super("input " + index + " has " + tokens + " tokens; the model takes at most " + maximum
                + " (send \"truncate\": true to cut longer inputs)");
        this.index = index;
        this.tokens = tokens;
        this.maximum = maximum;
    }

    /** The same refusal for the input at {@code position} of a request. */
    public InputTooLong at(int position) {
        return new InputTooLong(position, tokens, maximum);
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
