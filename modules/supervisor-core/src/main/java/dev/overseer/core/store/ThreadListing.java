package dev.overseer.core.store;

import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.Query;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The index behind {@code GET /api/threads}: table {@code thread_listing}, each thread's user and last update
 * ordered by user, kept in step with {@code threads} by one background thread instead of by every write
 * (ADR 0012), in a database of its own when the main one is an embedded H2 (ADR 0015). An index ordered by user
 * gains an entry at one place per user, so with many users starting runs at once, maintained with the threads
 * it cost each commit one rewritten page per user; and in the same H2 database, its commits held up the event
 * writer's.
 *
 * <p>A write that changes a thread's {@code updated_at}, or deletes the thread, names it ({@link #changed});
 * once its transaction commits, the thread is pending. The listing thread copies pending threads from
 * {@code threads} every {@link #DEFAULT_INTERVAL}, in one transaction, and at once when a reader asks
 * ({@link #catchUp}), so a listing always shows every write committed before it was asked for. Pending threads
 * live in memory only: a clean stop writes them and leaves the same new token in both databases; a start that
 * does not find that token in both rebuilds the listing from {@code threads} ({@link #recover}).
 */
@Singleton
public final class ThreadListing implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ThreadListing.class);
    static final Duration DEFAULT_INTERVAL = Duration.ofMillis(50);
    /** Pending threads beyond which the listing is written before its interval is up. */
    private static final int EAGER_PENDING = 20_000;
    /** Threads compared per step of a rebuild. */
    private static final int REBUILD_STEP = 1_000;
    /** Ids per {@code = ANY(?)} array, see {@link #copies(Jdbi, String, Collection)}. */
    private static final int ANY_CHUNK = 64;
    private static final String THREADS_BY_ID = "SELECT id, user_id, updated_at FROM threads WHERE id = ANY(:ids)";

    /** The database holding {@code threads}. */
    private final Jdbi jdbi;
    /** The database holding {@code thread_listing}: its own, or the same as {@link #jdbi}. */
    private final Jdbi listing;
    private final long intervalNanos;
    /** Pending threads; {@code true} when the thread may already have a listing row to replace. */
    private final Map<ThreadId, Boolean> pending = new ConcurrentHashMap<>();
    private final BlockingQueue<CompletableFuture<Void>> requests = new LinkedBlockingQueue<>();
    private final Thread thread;
    /** Set while pending threads are taken out and being written, so that a reader waits for them. */
    private volatile boolean writing;
    private volatile boolean closed;

    @Inject
    public ThreadListing(Database database) {
        this(database.jdbi(), database.listingJdbi(), DEFAULT_INTERVAL);
    }

    ThreadListing(Jdbi jdbi, Jdbi listing, Duration interval) {
        this.jdbi = jdbi;
        this.listing = listing;
        this.intervalNanos = interval.toNanos();
        this.thread = Thread.ofPlatform().name("overseer-thread-listing").daemon().start(this::loop);
    }

    /** A thread's place in the listing: its update time as the listing last copied it, then its id. */
    record Entry(ThreadId id, long listedAt) {
    }

    /** A thread as {@code threads} holds it now, as much of it as the listing copies. */
    private record Copy(String userId, long updatedAt) {
    }

    /**
     * Names threads whose {@code updated_at} the transaction open on {@code handle} changes, or which it
     * deletes; they become pending when it commits. {@code created}: threads it inserts, which have no listing
     * row yet.
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
     * Up to {@code limit} of the user's listed threads, most recently updated first, from just after
     * {@code after} (from the start when null). Threads deleted since their copy are gone from it once the
     * listing has caught up with the deletion.
     */
    List<Entry> page(UserId user, Entry after, int limit) {
        return listing.withHandle(handle -> {
            var query = after == null
                    ? handle.createQuery("""
                            SELECT thread_id, updated_at FROM thread_listing WHERE user_id = :user
                            ORDER BY updated_at DESC, thread_id DESC LIMIT :limit""")
                    : handle.createQuery("""
                            SELECT thread_id, updated_at FROM thread_listing WHERE user_id = :user
                              AND (updated_at < :updated OR (updated_at = :updated AND thread_id < :id))
                            ORDER BY updated_at DESC, thread_id DESC LIMIT :limit""")
                            .bind("updated", after.listedAt())
                            .bind("id", after.id().value());
            return query.bind("user", user.value())
                    .bind("limit", limit)
                    .map((rs, ctx) -> new Entry(new ThreadId(rs.getString(1)), rs.getLong(2)))
                    .list();
        });
    }

    /**
     * At start, before anything is written: rebuilds the listing from {@code threads} unless the last process
     * stopped cleanly with this same listing, then marks it out of step until this one does. Returns how many
     * rows it deleted and inserted.
     */
    public int recover() {
        String token = jdbi.withHandle(handle -> handle.createQuery(
                        "SELECT listing_token FROM thread_listing_state WHERE id = 1")
                .mapTo(String.class)
                .findOne()
                .orElse(null));
        String listed = listing.withHandle(handle -> handle.createQuery(
                        "SELECT token FROM thread_listing_token WHERE id = 1")
                .mapTo(String.class)
                .findOne()
                .orElse(null));
        int repaired = token != null && token.equals(listed) ? 0 : rebuild();
        jdbi.useHandle(handle -> handle.execute("UPDATE thread_listing_state SET listing_token = NULL WHERE id = 1"));
        return repaired;
    }

    /**
     * Makes the listing hold exactly the threads of {@code threads}, as they are, a step of
     * {@link #REBUILD_STEP} ids at a time: each step compares one run of ids across both databases and
     * writes only the rows that differ. Returns how many rows it deleted and inserted.
     */
    private int rebuild() {
        int repaired = 0;
        String after = "";
        while (true) {
            String from = after;
            SequencedMap<String, Copy> threads = jdbi.withHandle(handle -> copies(handle.createQuery("""
                            SELECT id, user_id, updated_at FROM threads WHERE id > :after ORDER BY id LIMIT :step""")
                    .bind("after", from)
                    .bind("step", REBUILD_STEP)));
            if (threads.isEmpty()) {
                break;
            }
            Map<String, Copy> listed = copies(listing,
                    "SELECT thread_id, user_id, updated_at FROM thread_listing WHERE thread_id = ANY(:ids)",
                    threads.keySet());
            List<String> stale = new ArrayList<>();
            List<String> missing = new ArrayList<>();
            threads.forEach((id, copy) -> {
                Copy row = listed.get(id);
                if (!copy.equals(row)) {
                    if (row != null) {
                        stale.add(id);
                    }
                    missing.add(id);
                }
            });
            repaired += stale.size() + missing.size();
            listing.useTransaction(handle -> {
                delete(handle, stale);
                insert(handle, missing, threads);
            });
            after = threads.lastEntry().getKey(); // in the database's order of ids, which the next step follows
        }
        return repaired + deleteRowsWithoutThread();
    }

    /** Deletes listing rows whose thread is gone, a step of {@link #REBUILD_STEP} ids at a time. */
    private int deleteRowsWithoutThread() {
        int deleted = 0;
        String after = "";
        while (true) {
            String from = after;
            List<String> ids = listing.withHandle(handle -> handle.createQuery("""
                            SELECT thread_id FROM thread_listing WHERE thread_id > :after ORDER BY thread_id
                            LIMIT :step""")
                    .bind("after", from)
                    .bind("step", REBUILD_STEP)
                    .mapTo(String.class)
                    .list());
            if (ids.isEmpty()) {
                return deleted;
            }
            Set<String> existing = copies(jdbi, THREADS_BY_ID, ids).keySet();
            List<String> gone = new ArrayList<>(ids);
            gone.removeAll(existing);
            listing.useTransaction(handle -> delete(handle, gone));
            deleted += gone.size();
            after = ids.getLast();
        }
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

    /** The rows of a query of (id, user, update time), by id, in the query's order. */
    private static SequencedMap<String, Copy> copies(Query query) {
        SequencedMap<String, Copy> copies = new LinkedHashMap<>();
        addCopies(query, copies);
        return copies;
    }

    private static void addCopies(Query query, Map<String, Copy> copies) {
        query.map((rs, ctx) -> Map.entry(rs.getString(1), new Copy(rs.getString(2), rs.getLong(3))))
                .forEach(row -> copies.put(row.getKey(), row.getValue()));
    }

    /**
     * The rows of {@code sql}, a query of (id, user, update time) whose {@code :ids} is an array of ids, asked
     * {@link #ANY_CHUNK} ids at a time: H2 finds the rows through the index, then checks each against the whole
     * array, so one array of n ids costs n² comparisons (a third of the listing thread's time with 600).
     */
    private static Map<String, Copy> copies(Jdbi database, String sql, Collection<String> ids) {
        List<String> all = List.copyOf(ids);
        Map<String, Copy> copies = new HashMap<>();
        database.useHandle(handle -> {
            for (int from = 0; from < all.size(); from += ANY_CHUNK) {
                addCopies(handle.createQuery(sql)
                        .bindArray("ids", String.class, all.subList(from, Math.min(all.size(), from + ANY_CHUNK))),
                        copies);
            }
        });
        return copies;
    }

    private static void delete(Handle handle, Collection<String> ids) {
        if (ids.isEmpty()) {
            return;
        }
        try (JdbcBatch deletes = JdbcBatch.prepare(handle, "DELETE FROM thread_listing WHERE thread_id = ?")) {
            ids.forEach(id -> deletes.set(id).add());
            deletes.execute();
        }
    }

    private static void insert(Handle handle, Collection<String> ids, Map<String, Copy> copies) {
        if (ids.isEmpty()) {
            return;
        }
        try (JdbcBatch inserts = JdbcBatch.prepare(handle,
                "INSERT INTO thread_listing (thread_id, user_id, updated_at) VALUES (?, ?, ?)")) {
            for (String id : ids) {
                Copy copy = copies.get(id);
                inserts.set(id).set(copy.userId()).set(copy.updatedAt()).add();
            }
            inserts.execute();
        }
    }

    /**
     * Copies the pending threads from {@code threads} into the listing: reads them as committed now, then
     * replaces their rows in one transaction (a thread deleted meanwhile has no row to copy, and loses the one it
     * had). On failure they stay pending, to be replaced by the next write whether or not the failed one landed.
     */
    private void write() {
        if (pending.isEmpty()) {
            return;
        }
        writing = true;
        List<ThreadId> taken = new ArrayList<>();
        List<String> all = new ArrayList<>();
        List<String> updated = new ArrayList<>();
        for (ThreadId id : pending.keySet()) {
            Boolean replace = pending.remove(id);
            if (replace != null) {
                taken.add(id);
                all.add(id.value());
                if (replace) {
                    updated.add(id.value());
                }
            }
        }
        try {
            Map<String, Copy> copies = copies(jdbi, THREADS_BY_ID, all);
            all.retainAll(copies.keySet());
            listing.useTransaction(handle -> {
                delete(handle, updated);
                insert(handle, all, copies);
            });
        } catch (RuntimeException e) {
            // A commit that reports failure may still have landed: rows copied once are replaced, not re-inserted.
            taken.forEach(id -> pending.put(id, true));
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
            // The listing's token first: a stop cut short between the two leaves them different.
            String token = UUID.randomUUID().toString();
            listing.useHandle(handle -> handle.createUpdate("UPDATE thread_listing_token SET token = :token WHERE id = 1")
                    .bind("token", token)
                    .execute());
            jdbi.useHandle(handle -> handle.createUpdate(
                            "UPDATE thread_listing_state SET listing_token = :token WHERE id = 1")
                    .bind("token", token)
                    .execute());
        } catch (RuntimeException e) {
            LOG.warn("could not write the thread listing at stop; the next start rebuilds it", e);
        }
    }
}
