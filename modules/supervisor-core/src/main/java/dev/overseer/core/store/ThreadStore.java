package dev.overseer.core.store;

import dev.overseer.context.InvalidIdException;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
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

    @Inject
    public ThreadStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    public void insert(ThreadRecord thread) {
        jdbi.useTransaction(handle -> insert(handle, List.of(thread)));
    }

    /** Inserts threads in one JDBC batch. */
    void insert(Handle handle, List<ThreadRecord> threads) {
        if (threads.isEmpty()) {
            return;
        }
        try (JdbcBatch batch = JdbcBatch.prepare(handle, """
                INSERT INTO threads (id, user_id, title, metadata, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?)""")) {
            for (ThreadRecord thread : threads) {
                batch.set(thread.id().value())
                        .set(thread.userId().value())
                        .set(thread.title())
                        .set(thread.metadataJson())
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

    /** Who owns a thread and whether a run is active on it. */
    record Occupancy(UserId owner, boolean busy) {
    }

    /**
     * The owner of each of these threads and whether a run is active on it, in one query; an absent thread is left
     * out. Reliable for a user's threads only with the user's admission lock held (ADR 0022): every run that holds
     * a thread of the user is admitted under it, so none can take one of them meanwhile.
     */
    Map<ThreadId, Occupancy> occupancy(Handle handle, Collection<ThreadId> ids) {
        Map<ThreadId, Occupancy> occupancy = new HashMap<>();
        if (ids.isEmpty()) {
            return occupancy;
        }
        handle.createQuery("""
                        SELECT t.id, t.user_id,
                               EXISTS (SELECT 1 FROM active_runs a WHERE a.thread_id = t.id) AS busy
                        FROM threads t WHERE t.id = ANY(:ids)""")
                .bindArray("ids", String.class, ids.stream().map(ThreadId::value).distinct().toList())
                .map((rs, ctx) -> Map.entry(new ThreadId(rs.getString("id")),
                        new Occupancy(new UserId(rs.getString("user_id")), rs.getBoolean("busy"))))
                .forEach(entry -> occupancy.put(entry.getKey(), entry.getValue()));
        return occupancy;
    }

    /** Touches the threads that runs were admitted onto ({@code updatedAt}), in one JDBC batch. */
    void touch(Handle handle, Map<ThreadId, Instant> updatedAt) {
        if (updatedAt.isEmpty()) {
            return;
        }
        try (JdbcBatch batch = JdbcBatch.prepare(handle, "UPDATE threads SET updated_at = ? WHERE id = ?")) {
            updatedAt.forEach((thread, at) -> batch.set(at.toEpochMilli()).set(thread.value()).add());
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
            return find(handle, user, id);
        });
    }

    /**
     * Deletes the thread with its messages, runs and events. A thread with an active run is not deleted
     * (its run is still writing); cancel the run first. Holds the user's admission lock, so that no node admits a
     * run on the thread meanwhile (ADR 0022).
     */
    public Deletion delete(UserId user, ThreadId id) {
        return jdbi.inTransaction(handle -> {
            AdmissionLocks.lock(handle, List.of(user));
            int deleted = handle.createUpdate("""
                            DELETE FROM threads WHERE id = :id AND user_id = :user
                              AND NOT EXISTS (SELECT 1 FROM active_runs a WHERE a.thread_id = :id)""")
                    .bind("id", id.value())
                    .bind("user", user.value())
                    .execute();
            if (deleted == 1) {
                return Deletion.DELETED;
            }
            return find(handle, user, id).isPresent() ? Deletion.BUSY : Deletion.NOT_FOUND;
        });
    }

    /**
     * The user's threads, most recently updated first (ties by id), a page at a time: a keyset read of
     * {@code threads} through {@code threads_by_user_recency} (ADR 0019), from just after the cursor's thread.
     */
    public Page<ThreadRecord> list(UserId user, String cursor, int limit) {
        Key after = cursor == null ? null : decode(cursor);
        List<ThreadRecord> threads = jdbi.withHandle(handle -> {
            var query = after == null
                    ? handle.createQuery("""
                            SELECT * FROM threads WHERE user_id = :user
                            ORDER BY updated_at DESC, id DESC LIMIT :limit""")
                    : handle.createQuery("""
                            SELECT * FROM threads WHERE user_id = :user
                              AND (updated_at < :updated OR (updated_at = :updated AND id < :id))
                            ORDER BY updated_at DESC, id DESC LIMIT :limit""")
                            .bind("updated", after.updatedAt())
                            .bind("id", after.id().value());
            return query.bind("user", user.value()).bind("limit", limit + 1).map(MAPPER).list();
        });
        if (threads.size() <= limit) {
            return new Page<>(threads, null);
        }
        List<ThreadRecord> page = threads.subList(0, limit);
        ThreadRecord last = page.getLast();
        return new Page<>(List.copyOf(page), encode(new Key(last.id(), last.updatedAt().toEpochMilli())));
    }

    /** Where a page ends: the last thread's update time and id, the order of the listing. */
    private record Key(ThreadId id, long updatedAt) {
    }

    private static String encode(Key key) {
        return Cursors.encode(key.updatedAt() + "|" + key.id().value());
    }

    private static Key decode(String cursor) {
        String key = Cursors.decode(cursor);
        int bar = key.indexOf('|');
        if (bar < 1 || bar == key.length() - 1) {
            throw new InvalidCursorException();
        }
        try {
            return new Key(new ThreadId(key.substring(bar + 1)), Long.parseLong(key.substring(0, bar)));
        } catch (NumberFormatException | InvalidIdException e) {
            throw new InvalidCursorException();
        }
    }
}
