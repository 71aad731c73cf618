package dev.overseer.core.store;

import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.List;
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
     *
     * <p>The listing row goes first, in the order the listing thread locks them (its row, then the thread
     * through the foreign key): deleting the thread first and its listing row by cascade deadlocked against
     * a listing copy of the same thread on PostgreSQL.
     */
    public Deletion delete(UserId user, ThreadId id) {
        return jdbi.inTransaction(handle -> {
            handle.createUpdate("DELETE FROM thread_listing WHERE thread_id = :id AND user_id = :user")
                    .bind("id", id.value())
                    .bind("user", user.value())
                    .execute();
            int deleted = handle.createUpdate(
                            "DELETE FROM threads WHERE id = :id AND user_id = :user AND active_run_id IS NULL")
                    .bind("id", id.value())
                    .bind("user", user.value())
                    .execute();
            if (deleted == 1) {
                return Deletion.DELETED;
            }
            handle.rollback(); // the listing row stays with the thread
            return find(handle, user, id).isPresent() ? Deletion.BUSY : Deletion.NOT_FOUND;
        });
    }

    /**
     * The user's threads, most recently updated first, as of every thread change committed before the call
     * (it waits for the listing to catch up, ADR 0012).
     */
    public Page<ThreadRecord> list(UserId user, String cursor, int limit) {
        listing.catchUp();
        return jdbi.withHandle(handle -> {
            var query = cursor == null
                    ? handle.createQuery("""
                            SELECT t.*, l.updated_at AS listed_at FROM thread_listing l
                            JOIN threads t ON t.id = l.thread_id WHERE l.user_id = :user
                            ORDER BY l.updated_at DESC, l.thread_id DESC LIMIT :limit""")
                    : handle.createQuery("""
                            SELECT t.*, l.updated_at AS listed_at FROM thread_listing l
                            JOIN threads t ON t.id = l.thread_id WHERE l.user_id = :user
                              AND (l.updated_at < :updated OR (l.updated_at = :updated AND l.thread_id < :id))
                            ORDER BY l.updated_at DESC, l.thread_id DESC LIMIT :limit""");
            if (cursor != null) {
                String key = Cursors.decode(cursor);
                int bar = key.indexOf('|');
                if (bar < 1) {
                    throw new InvalidCursorException();
                }
                try {
                    query.bind("updated", Long.parseLong(key.substring(0, bar))).bind("id", key.substring(bar + 1));
                } catch (NumberFormatException e) {
                    throw new InvalidCursorException();
                }
            }
            List<Listed> rows = query.bind("user", user.value())
                    .bind("limit", limit + 1)
                    .map((rs, ctx) -> new Listed(MAPPER.map(rs, ctx), rs.getLong("listed_at")))
                    .list();
            List<ThreadRecord> threads = rows.stream().limit(limit).map(Listed::thread).toList();
            if (rows.size() <= limit) {
                return new Page<>(threads, null);
            }
            Listed last = rows.get(limit - 1);
            return new Page<>(threads, Cursors.encode(last.listedAt() + "|" + last.thread().id().value()));
        });
    }

    /** A thread as listed: its place in the listing is its update time as the listing last copied it. */
    private record Listed(ThreadRecord thread, long listedAt) {
    }
}
