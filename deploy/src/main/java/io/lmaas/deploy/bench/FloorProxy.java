package io.lmaas.deploy.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.PoolOptions;
import java.util.concurrent.TimeUnit;

/**
 * The floor under the gateway in {@code lmaas bench gateway}: a reverse proxy in Vert.x with nothing else, on the transport,
 * event loops and HTTP client the gateway uses (epoll, two event loops, keep-alive to the upstream), but no routing, checks,
 * metering, ledger or metrics. Each request's body is read, POSTed to the upstream, and the upstream's answer sent back.
 * What the gateway measures above this is its own work, not the framework's. Run as its own process:
 * {@code FloorProxy <port> <upstream port>}.
 */
public final class FloorProxy {
    private FloorProxy() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int upstream = Integer.parseInt(args[1]);
        Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
        vertx.deployVerticle(() -> new VerticleBase() {
            @Override
            public Future<?> start() {
                HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
                        new PoolOptions().setHttp1MaxSize(64));
                return vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false)).requestHandler(req ->
                        req.body().compose(body -> client.request(HttpMethod.POST, upstream, "127.0.0.1", req.uri())
                                        .compose(out -> out.putHeader("content-type", "application/json").send(body))
                                        .compose(answer -> answer.body()))
                                .onComplete(ar -> {
                                    if (ar.succeeded()) {
                                        req.response().putHeader("content-type", "application/json").end(ar.result());
                                    } else {
                                        req.response().setStatusCode(502).end();
                                    }
                                })).listen(port, "127.0.0.1");
            }
        }, new DeploymentOptions().setInstances(2)).await(30, TimeUnit.SECONDS);
    }
}
