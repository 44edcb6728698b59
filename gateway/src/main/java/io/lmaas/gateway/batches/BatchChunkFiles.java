package io.lmaas.gateway.batches;

import io.lmaas.core.crypto.Artifacts;
import io.lmaas.core.crypto.DataKey;
import io.vertx.core.json.JsonObject;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * A batch's answers on disk while it runs: each chunk an attempt computes is written, sealed with the tenant's key, to
 * a file of its own named by its first request and the attempt ({@code chunk-<first>-a<attempt>.jsonl}) before the
 * chunk is committed ({@link BatchLedger}); a file whose chunk was never committed is simply never read. When the batch
 * ends, the committed chunks' files are assembled, in request order, into the output file (answered requests) and the
 * error file (failed ones, and answers the budgets refused at commit, which become {@code quota_exceeded} errors).
 */
public final class BatchChunkFiles {
    private final Path dir;

    /** {@code dir}: the batch's working directory in the artifact store. */
    public BatchChunkFiles(Path dir) {
        this.dir = dir;
    }

    public Path file(int firstLine, int attempt) {
        return dir.resolve("chunk-" + firstLine + "-a" + attempt + ".jsonl");
    }

    /** Writes a chunk's output lines (whole, or not at all: a partial file is moved into place once complete). */
    public void write(int firstLine, int attempt, List<JsonObject> lines, DataKey key) throws IOException {
        Files.createDirectories(dir);
        Path target = file(firstLine, attempt);
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        try (OutputStream out = new BufferedOutputStream(Artifacts.newOutputStream(partial, key), 1 << 16)) {
            for (JsonObject l : lines) {
                out.write((l.encode() + "\n").getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(partial);
            throw e;
        }
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** How many lines, and bytes of plain text, went to each file. */
    public record Assembled(int answered, int failed, long answeredBytes, long failedBytes) {
    }

    /**
     * Writes the committed {@code chunks}' lines, in request order, to {@code output} (answered) and {@code errors}
     * (failed or refused), both sealed with {@code key}. A committed chunk whose file is missing or holds a different
     * number of lines fails the assembly: the batch's answers are never silently short.
     */
    public Assembled assemble(List<BatchLedger.Chunk> chunks, DataKey key, Path output, Path errors) throws IOException {
        int answered = 0;
        int failed = 0;
        long answeredBytes = 0;
        long failedBytes = 0;
        try (OutputStream ok = new BufferedOutputStream(Artifacts.newOutputStream(output, key), 1 << 16);
                OutputStream bad = new BufferedOutputStream(Artifacts.newOutputStream(errors, key), 1 << 16)) {
            for (BatchLedger.Chunk c : chunks) {
                Path f = file(c.firstLine(), c.attempt());
                int n = 0;
                try (BufferedReader in = Artifacts.newBufferedReader(f, key)) {
                    String s;
                    while ((s = in.readLine()) != null) {
                        boolean refused = c.refused().contains(c.firstLine() + n);
                        boolean isAnswer;
                        if (refused) {
                            s = refusedByBudget(new JsonObject(s)).encode();
                            isAnswer = false;
                        } else {
                            isAnswer = answered(s);
                        }
                        byte[] bytes = (s + "\n").getBytes(StandardCharsets.UTF_8);
                        (isAnswer ? ok : bad).write(bytes);
                        if (isAnswer) {
                            answered++;
                            answeredBytes += bytes.length;
                        } else {
                            failed++;
                            failedBytes += bytes.length;
                        }
                        n++;
                    }
                }
                if (n != c.lines()) {
                    throw new IOException("chunk " + f.getFileName() + " holds " + n + " lines, its commit says " + c.lines());
                }
            }
        }
        return new Assembled(answered, failed, answeredBytes, failedBytes);
    }

    /**
     * Whether a chunk file's line (one JSON object) is an answer: its {@code error} is null. An answer line as
     * {@link BatchLines} writes it ends with that member, which is told without parsing the line (a line can only end
     * with {@code "error":null}} when the object's last member is exactly that); any other line is parsed to be sure.
     */
    static boolean answered(String line) {
        return line.endsWith("\"error\":null}") || new JsonObject(line).getValue("error") == null;
    }

    /** The error line for an answer the budgets refused at commit (as an online call that cost more than was left). */
    static JsonObject refusedByBudget(JsonObject answered) {
        String message = "Quota exceeded: a daily or monthly token budget of the tenant or of the batch's API key was used up"
                + " before this request's tokens could be counted; its answer is withheld.";
        JsonObject error = new JsonObject().put("message", message).put("type", "insufficient_quota").putNull("param")
                .put("code", "quota_exceeded");
        String requestId = answered.getString("id");
        return new JsonObject().put("id", requestId).put("custom_id", answered.getString("custom_id"))
                .put("response", new JsonObject().put("status_code", 402).put("request_id", requestId)
                        .put("body", new JsonObject().put("error", error)))
                .put("error", new JsonObject().put("code", "quota_exceeded").put("message", message));
    }

    /** Removes the working directory (after the output files are recorded). */
    public void delete() throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
    }
}
