package io.lmaas.worker.testing;

import io.lmaas.worker.hf.onnx.OnnxEncoderImport;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Hugging Face model directories for tests: the real all-MiniLM-L6-v2 (converted once per test JVM from the ONNX
 * export langchain4j ships on Maven Central, a test dependency) and a tiny random-weight BERT sequence classifier
 * (the committed fixture, with a word-level tokenizer that fits its 120-id vocabulary).
 */
public final class HfModels {
    private static Path miniLm;

    private HfModels() {
    }

    /** Copies a resource at the test classpath's root into {@code dir}. */
    public static Path jarResource(Path dir, String name) throws IOException {
        try (InputStream in = HfModels.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException(name + " is not on the test classpath");
            }
            Path out = dir.resolve(name);
            Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
            return out;
        }
    }

    /** all-MiniLM-L6-v2 as a Hugging Face directory (mean pooling, normalised). */
    public static synchronized Path miniLm() {
        try {
            if (miniLm == null) {
                Path root = io.lmaas.core.testing.TempDirs.create("lmaas-minilm-");
                Path dir = root.resolve("all-MiniLM-L6-v2");
                OnnxEncoderImport.convert(jarResource(root, "all-minilm-l6-v2.onnx"),
                        jarResource(root, "all-minilm-l6-v2-tokenizer.json"), new OnnxEncoderImport.Pooling("mean", true), dir);
                miniLm = dir;
            }
            return miniLm;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The tiny BERT sequence classifier fixture (labels label_0..label_2), with a word-level tokenizer: w0..w99. */
    public static Path bertClassifier(Path target) throws IOException {
        return encoder("bert", target);
    }

    /** A tiny encoder fixture ({@code bert}, {@code roberta}, {@code xlm-roberta}, {@code distilbert}) with a word-level tokenizer. */
    public static Path encoder(String family, Path target) throws IOException {
        Path fixture;
        try {
            fixture = Path.of(HfModels.class.getResource("/encoder-fixtures/" + family + "/config.json").toURI()).getParent();
        } catch (java.net.URISyntaxException e) {
            throw new IOException(e);
        }
        Files.createDirectories(target);
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(fixture.resolve(f), target.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.writeString(target.resolve("tokenizer.json"), wordLevelTokenizer(100).encodePrettily());
        return target;
    }

    /** A word-level tokenizer.json: [PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, then w0..w{words-1}; BERT's [CLS] A [SEP]. */
    public static JsonObject wordLevelTokenizer(int words) {
        JsonObject vocab = new JsonObject();
        String[] specials = {"[PAD]", "[UNK]", "[CLS]", "[SEP]"};
        JsonArray added = new JsonArray();
        for (int i = 0; i < specials.length; i++) {
            vocab.put(specials[i], i);
            added.add(new JsonObject().put("id", i).put("content", specials[i]).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true));
        }
        for (int i = 0; i < words; i++) {
            vocab.put("w" + i, specials.length + i);
        }
        JsonObject cls = new JsonObject().put("SpecialToken", new JsonObject().put("id", "[CLS]").put("type_id", 0));
        JsonObject sep = new JsonObject().put("SpecialToken", new JsonObject().put("id", "[SEP]").put("type_id", 0));
        JsonObject a = new JsonObject().put("Sequence", new JsonObject().put("id", "A").put("type_id", 0));
        JsonObject b = new JsonObject().put("Sequence", new JsonObject().put("id", "B").put("type_id", 1));
        return new JsonObject().put("version", "1.0").putNull("truncation").putNull("padding").put("added_tokens", added)
                .put("normalizer", new JsonObject().put("type", "Lowercase"))
                .put("pre_tokenizer", new JsonObject().put("type", "Whitespace"))
                .put("post_processor", new JsonObject().put("type", "TemplateProcessing")
                        .put("single", new JsonArray().add(cls).add(a).add(sep))
                        .put("pair", new JsonArray().add(cls).add(a).add(sep).add(b).add(sep))
                        .put("special_tokens", new JsonObject()
                                .put("[CLS]", new JsonObject().put("id", "[CLS]").put("ids", new JsonArray().add(2))
                                        .put("tokens", new JsonArray().add("[CLS]")))
                                .put("[SEP]", new JsonObject().put("id", "[SEP]").put("ids", new JsonArray().add(3))
                                        .put("tokens", new JsonArray().add("[SEP]")))))
                .putNull("decoder")
                .put("model", new JsonObject().put("type", "WordLevel").put("vocab", vocab).put("unk_token", "[UNK]"));
    }
}
