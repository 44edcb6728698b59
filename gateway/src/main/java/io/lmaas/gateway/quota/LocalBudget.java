package io.lmaas.gateway.quota;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * This replica's share of one budget window: the leases it holds and what is reserved against them.
 * Admission is a local decision against these leases; only a shortage goes to PostgreSQL for a new lease.
 * Thread-safe (every method holds the budget's monitor; contention is per budget).
 */
final class LocalBudget {

    /** A lease as this replica sees it. */
    static final class Lease {
        final long id;
        final long amount;
        long remaining;
        long reserved;
        long unflushed;
        Instant usableUntil;
        Instant lastUsed;
        boolean dead;

        Lease(long id, long amount, Instant usableUntil, Instant now) {
            this.id = id;
            this.amount = amount;
            this.remaining = amount;
            this.usableUntil = usableUntil;
            this.lastUsed = now;
        }

        boolean usable(Instant now) {
            return !dead && now.isBefore(usableUntil);
        }
    }

    /** Part of a reservation: so much held on one lease. */
    record Part(LocalBudget budget, Lease lease, long amount) {
    }

    final BudgetKey key;
    private final List<Lease> leases = new ArrayList<>(2);
    /** The budget's central availability right after this replica's last grant (for rate-limit headers). */
    private long centralAvailable;
    /** Single-flight: a lease acquisition in progress for this budget, or null. */
    Object acquiring;
    /**
     * After a refusal (budget exhausted even after reclaiming), requests needing more than
     * {@code exhaustedAvailable} are refused locally until {@code exhaustedUntil}: a client hammering an
     * exhausted budget costs no database work.
     */
    Instant exhaustedUntil = Instant.EPOCH;
    long exhaustedAvailable;
    /** A request for other replicas to give units back, in progress, or null. */
    io.vertx.core.Future<Void> reclaiming;
    /** Requests waiting on that acquisition (sizes the next lease so one round trip serves them all). */
    int waiting;

    LocalBudget(BudgetKey key) {
        this.key = key;
        this.centralAvailable = key.spec().limit();
    }

    /** What usable leases have left unreserved. */
    synchronized long usable(Instant now) {
        long usable = 0;
        for (Lease l : leases) {
            if (l.usable(now)) {
                usable += l.remaining;
            }
        }
        return usable;
    }

    /** Reserves {@code n} on usable leases (oldest first), or returns null and reserves nothing. */
    synchronized List<Part> tryReserve(long n, Instant now) {
        long usable = 0;
        for (Lease l : leases) {
            if (l.usable(now)) {
                usable += l.remaining;
            }
        }
        if (usable < n) {
            return null;
        }
        List<Part> parts = new ArrayList<>(1);
        long left = n;
        for (Lease l : leases) {
            if (left == 0) {
                break;
            }
            if (!l.usable(now) || l.remaining == 0) {
                continue;
            }
            long take = Math.min(left, l.remaining);
            l.remaining -= take;
            l.reserved += take;
            l.lastUsed = now;
            left -= take;
            parts.add(new Part(this, l, take));
        }
        if (n == 0) {
            return List.of();
        }
        return parts;
    }

    /**
     * Ends a reservation: {@code consumed} of it is used for good (gauges consume nothing), the rest goes
     * back to its leases. Returns the lease uses to make durable.
     */
    synchronized List<LeaseUse> settle(List<Part> parts, long consumed) {
        List<LeaseUse> uses = new ArrayList<>(parts.size());
        long left = key.spec().dimension().gauge() ? 0 : consumed;
        for (Part p : parts) {
            long used = Math.min(left, p.amount());
            left -= used;
            p.lease().reserved -= p.amount();
            p.lease().remaining += p.amount() - used;
            if (used > 0) {
                p.lease().unflushed += used;
                uses.add(new LeaseUse(p.lease().id, used));
            }
        }
        return uses;
    }

    /** The ledger made {@code amount} of the lease's use durable (or gave up on it: it was never served). */
    synchronized void flushed(long leaseId, long amount) {
        for (Lease l : leases) {
            if (l.id == leaseId) {
                l.unflushed -= amount;
            }
        }
    }

    synchronized void addLease(long id, long amount, Instant usableUntil, Instant now, long centralAvailableAfter) {
        leases.add(new Lease(id, amount, usableUntil, now));
        centralAvailable = centralAvailableAfter;
    }

    synchronized void centralAvailable(long available) {
        centralAvailable = available;
    }

    /** Roughly how much of the budget is left in the whole cluster, as far as this replica knows. */
    synchronized long remainingEstimate(Instant now) {
        long local = 0;
        for (Lease l : leases) {
            if (l.usable(now)) {
                local += l.remaining;
            }
        }
        return Math.max(0, centralAvailable) + local;
    }

    /** Leases worth keeping alive: usable, and either holding budget or reservations. */
    synchronized List<Long> liveLeases(Instant now) {
        List<Long> ids = new ArrayList<>();
        for (Lease l : leases) {
            if (!l.dead && (l.reserved > 0 || l.unflushed > 0 || l.remaining > 0)) {
                ids.add(l.id);
            }
        }
        return ids;
    }

    /** After a heartbeat: leases PostgreSQL still holds live get a new deadline; the others are dead. */
    synchronized void extended(Set<Long> alive, List<Long> asked, Instant usableUntil) {
        for (Lease l : leases) {
            if (!asked.contains(l.id)) {
                continue;
            }
            if (alive.contains(l.id)) {
                l.usableUntil = usableUntil;
            } else {
                l.dead = true;
            }
        }
    }

    /**
     * Removes and returns the leases to give back: idle since {@code idleBefore} (or all when
     * {@code everything}), used up, or dead — with nothing reserved and all use made durable.
     */
    synchronized List<Long> takeReleasable(Instant idleBefore, boolean everything) {
        List<Long> ids = new ArrayList<>();
        for (Iterator<Lease> it = leases.iterator(); it.hasNext(); ) {
            Lease l = it.next();
            boolean quiet = l.reserved == 0 && l.unflushed == 0;
            if (quiet && (l.dead || everything || l.lastUsed.isBefore(idleBefore) || l.remaining == 0)) {
                it.remove();
                ids.add(l.id);
            }
        }
        return ids;
    }

    /**
     * Gives up every unreserved unit this replica holds (another replica ran short): returns the
     * {@code (lease, amount)} to take off each lease in PostgreSQL.
     */
    synchronized List<LeaseUse> shrinkIdle() {
        List<LeaseUse> out = new ArrayList<>();
        for (Lease l : leases) {
            if (!l.dead && l.remaining > 0) {
                out.add(new LeaseUse(l.id, l.remaining));
                l.remaining = 0;
            }
        }
        return out;
    }

    synchronized boolean empty() {
        return leases.isEmpty();
    }
}
