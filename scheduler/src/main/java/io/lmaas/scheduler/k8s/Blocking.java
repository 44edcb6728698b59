package io.lmaas.scheduler.k8s;

import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The Kubernetes controllers run on threads of their own (never a Vert.x event loop), so they wait for
 * PostgreSQL's answer; and most of them only need to know that something they watch changed.
 */
public final class Blocking {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private Blocking() {
    }

    /** The future's value, waiting up to 10 s; a failure or timeout becomes an {@link IllegalStateException}. */
    public static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("PostgreSQL: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("PostgreSQL did not answer within " + TIMEOUT.toSeconds() + " s", e);
        }
    }

    /** An informer handler that runs {@code action} on every add, update and (if {@code deletes}) delete. */
    public static <T> ResourceEventHandler<T> onChange(Runnable action, boolean deletes) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                action.run();
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                action.run();
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                if (deletes) {
                    action.run();
                }
            }
        };
    }
}
