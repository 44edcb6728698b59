package io.lmaas.worker.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites the Python syntax real chat templates use that Jinjava parses differently, into what Jinjava reads the same
 * way Jinja does. Pure.
 * <ul>
 *   <li>{@code x[::-1]} (a reversing slice) becomes {@code (x|reverse)};
 *   <li>keyword arguments of {@code namespace(...)} are parenthesised: Jinjava reads
 *       {@code namespace(i=messages|length - 1)} as {@code (i=messages|length) - 1};
 *   <li>Jinja's {@code lstrip_blocks} is applied here, as Jinja defines it (spaces and tabs from the start of a line to a
 *       block or comment tag): Jinjava's own option also strips spaces before a tag in the middle of a line.
 * </ul>
 */
final class TemplateSource {
    private static final Pattern REVERSED = Pattern.compile("([A-Za-z_][\\w.]*)\\[::-1\\]");
    private static final Pattern LINE_START_BEFORE_TAG = Pattern.compile("(?m)^[ \\t]+(?=\\{[%#](?!\\+))");
    private static final Pattern KEYWORD = Pattern.compile("^(\\s*[A-Za-z_]\\w*\\s*)=(?!=)(.*)$", Pattern.DOTALL);

    private TemplateSource() {
    }

    static String rewrite(String source) {
        String lstripped = LINE_START_BEFORE_TAG.matcher(source).replaceAll("");
        return namespaceArguments(REVERSED.matcher(lstripped).replaceAll("($1|reverse)"));
    }

    private static String namespaceArguments(String s) {
        StringBuilder out = new StringBuilder(s.length() + 16);
        int at = 0;
        for (int i; (i = s.indexOf("namespace(", at)) >= 0; ) {
            int open = i + "namespace(".length();
            List<Integer> commas = new ArrayList<>();
            int close = closingParenthesis(s, open, commas);
            if (close < 0) {
                break;
            }
            out.append(s, at, open);
            commas.add(close);
            int start = open;
            for (int c = 0; c < commas.size(); c++) {
                String arg = s.substring(start, commas.get(c));
                Matcher m = KEYWORD.matcher(arg);
                out.append(c == 0 ? "" : ",").append(m.matches() ? m.group(1) + "=(" + m.group(2).strip() + ")" : arg);
                start = commas.get(c) + 1;
            }
            at = close;
        }
        return out.append(s.substring(at)).toString();
    }

    /**
     * The index of the ')' closing the call whose arguments start at {@code from} (or -1), skipping quoted strings and
     * nested brackets; the commas that separate its arguments are added to {@code commas}.
     */
    private static int closingParenthesis(String s, int from, List<Integer> commas) {
        int depth = 0;
        char quote = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                if (depth == 0) {
                    return c == ')' ? i : -1;
                }
                depth--;
            } else if (c == ',' && depth == 0) {
                commas.add(i);
            }
        }
        return -1;
    }
}
