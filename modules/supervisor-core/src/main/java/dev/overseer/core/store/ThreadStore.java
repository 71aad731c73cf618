package dev.overseer.core.store;

import dev.overseer.context.InvalidIdException;
import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/** Threads, always read and written on behalf of their owner. */
@Singleton
public final class ThreadStore {
    private static final ThreadMapper MAPPER = new ThreadMapper();

    private final Jdbi jdbi;
    private final ThreadListing listing;

    @Inject
    public ThreadStore(Jdbi jdbi, ThreadListing listing) {
        this.jdbi = jdbi;
        this.listing = listing;
    }

    public void insert(ThreadRecord thread) {
        jdbi.useTransaction(handle -> insert(handle, List.of(thread)));
    }

    /** Inserts threads, each with its active run (if any), in one JDBC batch. */
    void insert(Handle handle, List<ThreadRecord> threads) {
        if (threads.isEmpty()) {
            return;
        }
        listing.changed(handle, threads.stream().map(ThreadRecord::id).toList(), true);
        try (JdbcBatch batch = JdbcBatch.prepare(handle, """
                INSERT INTO threads (id, user_id, title, metadata, active_run_id, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)""")) {
            for (ThreadRecord thread : threads) {
                batch.set(thread.id().value())
                        .set(thread.userId().value())
                        .set(thread.title())
                        .set(thread.metadataJson())
                        .set(thread.activeRunId() == null ? null : thread.activeRunId().value())
                        .set(thread.createdAt().toEpochMilli())
                        .set(thread.updatedAt().toEpochMilli())
                        .add();
            }
            batch.execute();
        }
    }

    /** The thread if it exists and belongs to this user; another user's thread is simply absent. */
    public Optional<ThreadRecord> find(UserId user, ThreadId id) {
        return jdbi.withHandle(handle -> find(handle, user, id));
    }

    Optional<ThreadRecord> find(Handle handle, UserId user, ThreadId id) {
        return handle.createQuery("SELECT * FROM threads WHERE id = :id AND user_id = :user")
                .bind("id", id.value())
                .bind("user", user.value())
                .map(MAPPER)
                .findOne();
    }

    /**
     * In one JDBC batch, gives each thread its {@code activeRunId} (none for a run that already finished) and
     * its {@code updatedAt}, if the thread is the user's and free. Returns, per claim, whether it took.
     */
    boolean[] claim(Handle handle, List<ThreadRecord> claims) {
        boolean[] took = new boolean[claims.size()];
        if (claims.isEmpty()) {
            return took;
        }
        listing.changed(handle, claims.stream().map(ThreadRecord::id).toList(), false);
        int[] changed;
        try (JdbcBatch batch = JdbcBatch.prepare(handle, """
                UPDATE threads SET active_run_id = ?, updated_at = ?
                WHERE id = ? AND user_id = ? AND active_run_id IS NULL""")) {
            for (ThreadRecord claim : claims) {
                batch.set(claim.activeRunId() == null ? null : claim.activeRunId().value())
                        .set(claim.updatedAt().toEpochMilli())
                        .set(claim.id().value())
                        .set(claim.userId().value())
                        .add();
            }
            changed = batch.execute();
        }
        for (int i = 0; i < changed.length; i++) {
            took[i] = changed[i] == 1;
        }
        return took;
    }

    /** Frees the threads of finished runs (and touches them), in one JDBC batch. */
    void release(Handle handle, List<RunFinish> finished) {
        listing.changed(handle, finished.stream().map(RunFinish::threadId).toList(), false);
        try (JdbcBatch batch = JdbcBatch.prepare(handle, """
                UPDATE threads SET active_run_id = NULL, updated_at = ?
                WHERE id = ? AND active_run_id = ?""")) {
            for (RunFinish finish : finished) {
                batch.set(finish.finishedAt().toEpochMilli())
                        .set(finish.threadId().value())
                        .set(finish.runId().value())
                        .add();
            }
            batch.execute();
        }
    }

    /** What came of deleting a thread. */
    public enum Deletion {
        DELETED,
        NOT_FOUND,
        BUSY
    }

    /**
     * Changes the title and/or metadata (a null argument keeps the field; {@code clearTitle} removes the
     * title) and touches the thread. Empty when the thread is absent or another user's.
     */
    public Optional<ThreadRecord> update(UserId user, ThreadId id, String title, boolean clearTitle, String metadataJson,
            long nowMillis) {
        return jdbi.inTransaction(handle -> {
            int changed = handle.createUpdate("""
                    UPDATE threads SET
                        title = CASE WHEN :clear THEN NULL WHEN :title IS NULL THEN title ELSE :title END,
                        metadata = COALESCE(:metadata, metadata),
                        updated_at = :now
                    WHERE id = :id AND user_id = :user""")
                    .bind("clear", clearTitle)
                    .bind("title", title)
                    .bind("metadata", metadataJson)
                    .bind("now", nowMillis)
                    .bind("id", id.value())
                    .bind("user", user.value())
                    .execute();
            if (changed == 0) {
                return Optional.<ThreadRecord>empty();
            }
            listing.changed(handle, List.of(id), false);
            return find(handle, user, id);
        });
    }

    /**
     * Deletes the thread with its messages, runs and events. A thread with an active run is not deleted
     * (its run is still writing); cancel the run first.
     */
    public Deletion delete(UserId user, ThreadId id) {
        return jdbi.inTransaction(handle -> {
            int deleted = handle.createUpdate(
                            "DELETE FROM threads WHERE id = :id AND user_id = :user AND active_run_id IS NULL")
                    .bind("id", id.value())
                    .bind("user", user.value())
                    .execute();
            if (deleted == 1) {
                listing.changed(handle, List.of(id), false); // its listing row goes with the next copy
                return Deletion.DELETED;
            }
            return find(handle, user, id).isPresent() ? Deletion.BUSY : Deletion.NOT_FOUND;
        });
    }

    /**
     * The user's threads, most recently updated first, as of every thread change committed before the call
     * (it waits for the listing to catch up, ADR 0012). The listing gives the order, {@code threads} the
     * threads: one deleted between the two reads is left out, and the page filled from further down.
     */
    public Page<ThreadRecord> list(UserId user, String cursor, int limit) {
        ThreadListing.Entry after = cursor == null ? null : decode(cursor);
        listing.catchUp();
        List<ThreadRecord> threads = new ArrayList<>(limit);
        boolean more;
        do {
            int wanted = limit - threads.size();
            List<ThreadListing.Entry> entries = listing.page(user, after, wanted + 1);
            more = entries.size() > wanted;
            List<ThreadListing.Entry> listed = more ? entries.subList(0, wanted) : entries;
            Map<ThreadId, ThreadRecord> found = find(user, listed);
            for (ThreadListing.Entry entry : listed) {
                ThreadRecord thread = found.get(entry.id());
                if (thread != null) {
                    threads.add(thread);
                }
                after = entry;
            }
        } while (more && threads.size() < limit);
        return new Page<>(threads, more ? encode(after) : null);
    }

    private Map<ThreadId, ThreadRecord> find(UserId user, List<ThreadListing.Entry> entries) {
        if (entries.isEmpty()) {
            return Map.of();
        }
        return jdbi.withHandle(handle -> handle.createQuery(
                        "SELECT * FROM threads WHERE user_id = :user AND id = ANY(:ids)")
                .bind("user", user.value())
                .bindArray("ids", String.class, entries.stream().map(entry -> entry.id().value()).toList())
                .map(MAPPER)
                .collectToMap(ThreadRecord::id, thread -> thread));
    }

    /** A cursor: the listing's key of the last thread a page examined. */
    private static String encode(ThreadListing.Entry entry) {
        return Cursors.encode(entry.listedAt() + "|" + entry.id().value());
    }

    private static ThreadListing.Entry decode(String cursor) {
        String key = Cursors.decode(cursor);
        int bar = key.indexOf('|');
        if (bar < 1 || bar == key.length() - 1) {
            throw new InvalidCursorException();
        }
        try {
            return new ThreadListing.Entry(new ThreadId(key.substring(bar + 1)), Long.parseLong(key.substring(0, bar)));
        } catch (NumberFormatException | InvalidIdException e) {
            throw new InvalidCursorException();
        }
    }
}
