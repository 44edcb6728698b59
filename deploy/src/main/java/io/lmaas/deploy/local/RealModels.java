package io.lmaas.deploy.local;

import io.lmaas.worker.hf.onnx.OnnxEncoderImport;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The real sentence-embedding models {@code lmaas up} serves under their Hugging Face names. Their weights come from
 * Maven Central (langchain4j's embedding jars hold each model's ONNX export and {@code tokenizer.json}, on the
 * distribution's classpath); LMaaS's ONNX importer converts each once into a Hugging Face directory (safetensors under
 * the original tensor names, {@code config.json}, sentence-transformers pooling) that later starts reuse.
 */
public final class RealModels {

    /** A model: its id, the name of its resources in the jar, its pooling and the sequence length it was trained for. */
    public record RealModel(String id, String resource, OnnxEncoderImport.Pooling pooling, int maxSeqLength, String description) {
    }

    public static final List<RealModel> MODELS = List.of(
            new RealModel("all-MiniLM-L6-v2", "all-minilm-l6-v2", new OnnxEncoderImport.Pooling("mean", true), 256,
                    "sentence-transformers/all-MiniLM-L6-v2: English sentence embeddings (384 dimensions, mean pooling, "
                            + "normalised)"),
            new RealModel("bge-small-zh-v1.5", "bge-small-zh-v1.5", new OnnxEncoderImport.Pooling("cls", true), 512,
                    "BAAI/bge-small-zh-v1.5: Chinese sentence embeddings (512 dimensions, CLS pooling, normalised)"));

    private RealModels() {
    }

    /** True once {@code dir} holds the converted model (written whole, then moved into place). */
    static boolean converted(Path dir) {
        return Files.isRegularFile(dir.resolve("config.json"));
    }

    /** Converts {@code model} into {@code dir} unless it is there already. */
    public static void ensure(RealModel model, Path dir) throws IOException {
        if (converted(dir)) {
            return;
        }
        Path work = Files.createDirectories(dir.getParent()).resolve(dir.getFileName() + ".converting");
        delete(work);
        Path sources = Files.createDirectories(work.resolve("sources"));
        Path hf = work.resolve("model");
        try {
            Path onnx = copy(model.resource() + ".onnx", sources);
            Path tokenizer = copy(model.resource() + "-tokenizer.json", sources);
            OnnxEncoderImport.convert(onnx, tokenizer, model.pooling(), hf);
            Files.writeString(hf.resolve("sentence_bert_config.json"),
                    new JsonObject().put("max_seq_length", model.maxSeqLength()).put("do_lower_case", false).encodePrettily());
            Files.move(hf, dir, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            delete(work);
        }
    }

    private static Path copy(String resource, Path dir) throws IOException {
        try (InputStream in = RealModels.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException(resource + " is not on the classpath (the langchain4j embedding jars are missing)");
            }
            Path out = dir.resolve(resource);
            Files.copy(in, out);
            return out;
        }
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
