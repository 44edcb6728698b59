package io.lmaas.gateway.http;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.InputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the plaintext of a sealed file: chunks decrypted in memory off the event loop, one at a time, written when the
 * client takes them (the response's write queue bounds what is held). A failure after the headers went out (a tampered
 * file fails authentication) resets the connection: the client never takes a truncated body for a whole one.
 */
public final class SealedDownload {
    private static final Logger LOG = LoggerFactory.getLogger(SealedDownload.class);
    private static final int CHUNK = 256 * 1024;

    private SealedDownload() {
    }

    /**
     * Streams {@code in} as the response body (chunked: the plaintext's length is what the stream yields, not what a
     * row says), closing it at the end.
     */
    public static Future<Void> send(Vertx vertx, HttpServerResponse response, InputStream in) {
        Promise<Void> done = Promise.promise();
        response.setChunked(true);
        response.closeHandler(v -> done.tryFail("the client closed the connection"));
        next(vertx, response, in, done);
        return done.future().onComplete(ar -> close(in));
    }

    private static void next(Vertx vertx, HttpServerResponse response, InputStream in, Promise<Void> done) {
        if (done.future().isComplete()) {
            return;
        }
        vertx.executeBlocking(() -> in.readNBytes(CHUNK), true).onComplete(ar -> {
            if (ar.failed()) {
                LOG.warn("file download failed after its headers: {}", ar.cause().toString());
                response.reset();
                done.tryFail(ar.cause());
                return;
            }
            byte[] chunk = ar.result();
            if (chunk.length == 0) {
                response.end().onComplete(e -> done.tryComplete());
                return;
            }
            response.write(Buffer.buffer(chunk));
            if (response.writeQueueFull()) {
                response.drainHandler(v -> next(vertx, response, in, done));
            } else {
                next(vertx, response, in, done);
            }
        });
    }

    public static void close(InputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            LOG.debug("closing a download: {}", e.toString());
        }
    }
}
