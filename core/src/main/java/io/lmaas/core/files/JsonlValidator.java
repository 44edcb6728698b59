package io.lmaas.core.files;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks a JSONL file line by line, streaming (pure apart from the reader): one JSON object per line, of
 * one format — {@code classification} ({@code {"text","label"}}), {@code generation} ({@code {"prompt",
 * "completion"}} or {@code {"messages":[...]}}), or {@code batch} ({@code {"custom_id","body"}}, ids unique).
 * Problems name the line and the field ({@code line 17: missing "label"}); at most {@link #MAX_LISTED}
 * are listed, all are counted. The same check runs at upload and again when a job starts.
 */
public final class JsonlValidator {
    public static final int MAX_LISTED = 20;
    public static final String CLASSIFICATION = "classification";
    public static final String GENERATION = "generation";
    public static final String BATCH = "batch";
    private static final Set<String> ROLES = Set.of("system", "user", "assistant");
    private static final Set<String> BATCH_URLS = Set.of("/v1/classifications", "/v1/completions", "/v1/chat/completions",
            "/v1/embeddings");

    private JsonlValidator() {
    }

    /** The outcome: the format the lines share, how many there are, and what is wrong (empty: valid). */
    public record Result(String format, int lines, List<String> problems, int problemCount, Set<String> labels) {
        public boolean valid() {
            return problemCount == 0;
        }

        /** A message naming the first problems, e.g. for an API error. */
        public String summary() {
            String listed = String.join("; ", problems);
            return problemCount > problems.size() ? listed + "; and " + (problemCount - problems.size()) + " more" : listed;
        }
    }

    /** Validates a file uploaded with {@code purpose} ({@code fine-tune} or {@code batch}). */
    public static Result validate(BufferedReader reader, String purpose) throws IOException {
        String expected = "batch".equals(purpose) ? BATCH : null;
        List<String> problems = new ArrayList<>();
        int[] count = {0};
        Set<String> ids = new HashSet<>();
        Set<String> labels = new HashSet<>();
        String format = expected;
        int lines = 0;
        int lineNo = 0;
        String line;
        while ((line = reader.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            lines++;
            JsonObject o;
            try {
                Object parsed = io.vertx.core.json.Json.decodeValue(line);
                if (!(parsed instanceof JsonObject obj)) {
                    problem(problems, count, lineNo, "not a JSON object");
                    continue;
                }
                o = obj;
            } catch (DecodeException e) {
                problem(problems, count, lineNo, "not valid JSON");
                continue;
            }
            String lineFormat = format != null ? format : o.containsKey("text") || o.containsKey("label") ? CLASSIFICATION
                    : o.containsKey("prompt") || o.containsKey("completion") || o.containsKey("messages") ? GENERATION : null;
            if (lineFormat == null) {
                problem(problems, count, lineNo, "expected {\"text\",\"label\"}, {\"prompt\",\"completion\"} or {\"messages\"}");
                continue;
            }
            if (format == null) {
                format = lineFormat;
            }
            switch (format) {
                case CLASSIFICATION -> {
                    if (nonEmptyString(o, "text", problems, count, lineNo) & nonEmptyString(o, "label", problems, count, lineNo)) {
                        if (o.getString("label").contains(",") || o.getString("label").length() > 100) {
                            problem(problems, count, lineNo, "\"label\" must be at most 100 characters, without ','");
                        } else {
                            labels.add(o.getString("label"));
                        }
                    }
                }
                case GENERATION -> generation(o, problems, count, lineNo);
                default -> batch(o, ids, problems, count, lineNo);
            }
        }
        if (lines == 0) {
            problem(problems, count, 0, "the file has no lines");
        }
        if (CLASSIFICATION.equals(format) && labels.size() == 1 && count[0] == 0) {
            problem(problems, count, 0, "classification needs at least two labels; the file has only \"" + labels.iterator().next() + "\"");
        }
        return new Result(format, lines, List.copyOf(problems), count[0], Set.copyOf(labels));
    }

    private static void generation(JsonObject o, List<String> problems, int[] count, int line) {
        if (o.containsKey("messages")) {
            if (!(o.getValue("messages") instanceof JsonArray messages) || messages.isEmpty()) {
                problem(problems, count, line, "\"messages\" must be a non-empty array");
                return;
            }
            boolean assistant = false;
            for (int i = 0; i < messages.size(); i++) {
                if (!(messages.getValue(i) instanceof JsonObject m) || !(m.getValue("role") instanceof String role)
                        || !ROLES.contains(role) || !(m.getValue("content") instanceof String)) {
                    problem(problems, count, line, "messages[" + i + "] must be {\"role\": system|user|assistant, \"content\": string}");
                    return;
                }
                assistant |= role.equals("assistant");
            }
            if (!assistant) {
                problem(problems, count, line, "\"messages\" has no assistant message to learn from");
            }
            return;
        }
        if (!(o.getValue("prompt") instanceof String)) {
            problem(problems, count, line, o.containsKey("prompt") ? "\"prompt\" must be a string" : "missing \"prompt\"");
        }
        nonEmptyString(o, "completion", problems, count, line);
    }

    private static void batch(JsonObject o, Set<String> ids, List<String> problems, int[] count, int line) {
        if (nonEmptyString(o, "custom_id", problems, count, line) && !ids.add(o.getString("custom_id"))) {
            problem(problems, count, line, "\"custom_id\" \"" + o.getString("custom_id") + "\" is not unique");
        }
        if (o.containsKey("method") && !"POST".equals(o.getValue("method"))) {
            problem(problems, count, line, "\"method\" must be POST");
        }
        if (o.containsKey("url") && !(o.getValue("url") instanceof String u && BATCH_URLS.contains(u))) {
            problem(problems, count, line, "\"url\" must be one of " + BATCH_URLS.stream().sorted().toList());
        }
        if (!(o.getValue("body") instanceof JsonObject)) {
            problem(problems, count, line, o.containsKey("body") ? "\"body\" must be an object" : "missing \"body\"");
        }
    }

    private static boolean nonEmptyString(JsonObject o, String field, List<String> problems, int[] count, int line) {
        Object v = o.getValue(field);
        if (v == null) {
            problem(problems, count, line, "missing \"" + field + "\"");
            return false;
        }
        if (!(v instanceof String s) || s.isBlank()) {
            problem(problems, count, line, "\"" + field + "\" must be a non-empty string");
            return false;
        }
        return true;
    }

    private static void problem(List<String> problems, int[] count, int line, String message) {
        count[0]++;
        if (problems.size() < MAX_LISTED) {
            problems.add(line == 0 ? message : "line " + line + ": " + message);
        }
    }
}
