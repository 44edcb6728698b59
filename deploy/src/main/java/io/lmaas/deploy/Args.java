package io.lmaas.deploy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Command-line words and {@code --flag value} / {@code --flag=value} options (pure). */
record Args(List<String> words, Map<String, String> flags) {

    static Args parse(String[] argv) {
        List<String> words = new ArrayList<>();
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (a.startsWith("--")) {
                String body = a.substring(2);
                int eq = body.indexOf('=');
                if (eq >= 0) {
                    flags.put(body.substring(0, eq), body.substring(eq + 1));
                } else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) {
                    flags.put(body, argv[++i]);
                } else {
                    flags.put(body, "true");
                }
            } else {
                words.add(a);
            }
        }
        return new Args(List.copyOf(words), Map.copyOf(flags));
    }

    /** {@code --help}, {@code -h} or {@code help} anywhere: every command answers with the usage instead of running. */
    boolean wantsHelp() {
        return flags.containsKey("help") || words.contains("-h") || words.contains("help");
    }
}
