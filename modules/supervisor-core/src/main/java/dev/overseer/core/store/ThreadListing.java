package dev.overseer.core.store;

import dev.overseer.context.ThreadId;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The index behind {@code GET /api/threads}: table {@code thread_listing}, each thread's user and last update
 * ordered by user, kept in step with {@code threads} by one background thread instead of by every write
 * (ADR 0012). An index ordered by user gains an entry at one place per user, so with many users starting
 * runs at once, maintained with the threads it cost each commit one rewritten page per user.
 *
 * <p>A write that changes a thread's {@code updated_at} names the thread ({@link #changed}); once its
 * transaction commits, the thread is pending. The listing thread copies pending threads from {@code threads}
 * every {@link #DEFAULT_INTERVAL}, in one transaction, and at once when a reader asks ({@link #catchUp}), so a
 * listing always shows every write committed before it was asked for. Pending threads live in memory only: a
 * clean stop writes them and marks the listing in sync; a start that does not find that mark rebuilds the
 * listing from {@code threads} ({@link #recover}).
 */
@Singleton
public final class ThreadListing implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ThreadListing.class);
    static final Duration DEFAULT_INTERVAL = Duration.ofMillis(50);
    /** Pending threads beyond which the listing is written before its interval is up. */
    private static final int EAGER_PENDING = 20_000;

    private final Jdbi jdbi;
    private final long intervalNanos;
    /** Pending threads; {@code true} when the thread may already have a listing row to replace. */
    private final Map<ThreadId, Boolean> pending = new ConcurrentHashMap<>();
    private final BlockingQueue<CompletableFuture<Void>> requests = new LinkedBlockingQueue<>();
    private final Thread thread;
    /** Set while pending threads are taken out and being written, so that a reader waits for them. */
    private volatile boolean writing;
    private volatile boolean closed;

    @Inject
    public ThreadListing(Jdbi jdbi) {
        this(jdbi, DEFAULT_INTERVAL);
    }

    ThreadListing(Jdbi jdbi, Duration interval) {
        this.jdbi = jdbi;
        this.intervalNanos = interval.toNanos();
        this.thread = Thread.ofPlatform().name("overseer-thread-listing").daemon().start(this::loop);
    }

    /**
     * Names threads whose {@code updated_at} the transaction open on {@code handle} changes; they become pending
     * when it commits. {@code created}: threads it inserts, which have no listing row yet.
     */
    void changed(Handle handle, Collection<ThreadId> threads, boolean created) {
        if (threads.isEmpty()) {
            return;
        }
        if (!handle.isInTransaction()) {
            throw new IllegalStateException("thread changes must be written in a transaction");
        }
        List<ThreadId> named = List.copyOf(threads);
        handle.afterCommit(() -> {
            for (ThreadId id : named) {
                // A thread created and then changed before the listing was written still has no row to replace.
                pending.putIfAbsent(id, !created);
            }
            if (pending.size() > EAGER_PENDING) {
                requests.offer(new CompletableFuture<>());
            }
        });
    }

    /** Returns once every thread change committed before this call is in the listing. */
    void catchUp() {
        if ((pending.isEmpty() && !writing) || closed) {
            return;
        }
        CompletableFuture<Void> request = new CompletableFuture<>();
        requests.add(request);
        if (closed) {
            answerAll(); // the listing thread is gone: what is left is written by close()
        }
        request.join();
    }

    /**
     * At start, before anything is written: rebuilds the listing from {@code threads} unless the last process
     * stopped cleanly, then marks it out of sync until this one does. Returns how many rows it repaired.
     */
    public int recover() {
        return jdbi.inTransaction(handle -> {
            boolean inSync = handle.createQuery("SELECT in_sync FROM thread_listing_state WHERE id = 1")
                    .mapTo(Boolean.class)
                    .findOne()
                    .orElse(false);
            int repaired = 0;
            if (!inSync) {
                repaired += handle.createUpdate("""
                        DELETE FROM thread_listing WHERE NOT EXISTS (SELECT 1 FROM threads t
                            WHERE t.id = thread_listing.thread_id AND t.updated_at = thread_listing.updated_at)""")
                        .execute();
                repaired += handle.createUpdate("""
                        INSERT INTO thread_listing (thread_id, user_id, updated_at)
                        SELECT id, user_id, updated_at FROM threads t
                        WHERE NOT EXISTS (SELECT 1 FROM thread_listing l WHERE l.thread_id = t.id)""")
                        .execute();
            }
            markInSync(handle, false);
            return repaired;
        });
    }

    private static void markInSync(Handle handle, boolean inSync) {
        handle.createUpdate("UPDATE thread_listing_state SET in_sync = :inSync WHERE id = 1")
                .bind("inSync", inSync)
                .execute();
    }

    private void loop() {
        List<CompletableFuture<Void>> asked = new ArrayList<>();
        while (!closed) {
            try {
                CompletableFuture<Void> first = requests.poll(intervalNanos, TimeUnit.NANOSECONDS);
                if (first != null) {
                    asked.add(first);
                }
                requests.drainTo(asked);
                if (!closed) {
                    write();
                }
                asked.forEach(request -> request.complete(null));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.warn("updating the thread listing failed; retrying", e);
                asked.forEach(request -> request.completeExceptionally(e));
            } finally {
                asked.clear();
            }
        }
    }

    /**
     * Copies the pending threads from {@code threads} into the listing; on failure they stay pending, to be
     * replaced by the next write whether or not the failed one landed.
     */
    private void write() {
        if (pending.isEmpty()) {
            return;
        }
        writing = true;
        List<ThreadId> created = new ArrayList<>();
        List<ThreadId> updated = new ArrayList<>();
        for (ThreadId id : pending.keySet()) {
            Boolean replace = pending.remove(id);
            if (replace != null) {
                (replace ? updated : created).add(id);
            }
        }
        try {
            jdbi.useTransaction(handle -> {
                if (!updated.isEmpty()) {
                    try (JdbcBatch deletes = JdbcBatch.prepare(handle,
                            "DELETE FROM thread_listing WHERE thread_id = ?")) {
                        updated.forEach(id -> deletes.set(id.value()).add());
                        deletes.execute();
                    }
                }
                // Copied from threads as committed now: a thread deleted meanwhile has no row to copy.
                try (JdbcBatch inserts = JdbcBatch.prepare(handle, """
                        INSERT INTO thread_listing (thread_id, user_id, updated_at)
                        SELECT id, user_id, updated_at FROM threads WHERE id = ?""")) {
                    created.forEach(id -> inserts.set(id.value()).add());
                    updated.forEach(id -> inserts.set(id.value()).add());
                    inserts.execute();
                }
            });
        } catch (RuntimeException e) {
            // A commit that reports failure may still have landed: rows copied once are replaced, not re-inserted.
            created.forEach(id -> pending.put(id, true));
            updated.forEach(id -> pending.put(id, true));
            throw e;
        } finally {
            writing = false;
        }
    }

    private void answerAll() {
        List<CompletableFuture<Void>> left = new ArrayList<>();
        requests.drainTo(left);
        left.forEach(request -> request.complete(null));
    }

    /** Writes what is pending and marks the listing in sync; call once nothing writes threads any more. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        requests.add(new CompletableFuture<>()); // wakes the listing thread, which then stops
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        answerAll();
        try {
            write();
            jdbi.useTransaction(handle -> markInSync(handle, true));
        } catch (RuntimeException e) {
            LOG.warn("could not write the thread listing at stop; the next start rebuilds it", e);
        }
    }
}
