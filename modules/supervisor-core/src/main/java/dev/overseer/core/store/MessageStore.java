package dev.overseer.core.store;

import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/** The messages of threads, in the order they were stored. */
@Singleton
public final class MessageStore {
    private static final MessageMapper MAPPER = new MessageMapper();

    private final Jdbi jdbi;

    @Inject
    public MessageStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    void insert(Handle handle, MessageRecord message) {
        insert(handle, List.of(message));
    }

    /** Inserts messages in one JDBC batch, in list order (which is their order on their threads). */
    void insert(Handle handle, List<MessageRecord> messages) {
        if (messages.isEmpty()) {
            return;
        }
        try (JdbcBatch batch = JdbcBatch.prepare(handle, """
                INSERT INTO messages (id, thread_id, run_id, role, content, created_at)
                VALUES (?, ?, ?, ?, ?, ?)""")) {
            for (MessageRecord message : messages) {
                batch.set(message.id().value())
                        .set(message.threadId().value())
                        .set(message.runId() == null ? null : message.runId().value())
                        .set(message.role().wire())
                        .set(message.content())
                        .set(message.createdAt().toEpochMilli())
                        .add();
            }
            batch.execute();
        }
    }

    /** The thread's latest messages, newest first, leaving out those of {@code exceptRun}. */
    public List<MessageRecord> recent(ThreadId thread, RunId exceptRun, int limit) {
        return jdbi.withHandle(handle -> handle.createQuery("""
                        SELECT * FROM messages WHERE thread_id = :thread AND (run_id IS NULL OR run_id <> :run)
                        ORDER BY position DESC LIMIT :limit""")
                .bind("thread", thread.value())
                .bind("run", exceptRun.value())
                .bind("limit", limit)
                .map(MAPPER)
                .list());
    }

    /** A page of a thread's messages, oldest first; the caller has checked the thread's owner. */
    public Page<MessageRecord> list(ThreadId thread, String cursor, int limit) {
        long after = cursor == null ? 0 : Cursors.decodeLong(cursor);
        return jdbi.withHandle(handle -> {
            List<MessageRecord> rows = new ArrayList<>();
            List<Long> positions = new ArrayList<>();
            handle.createQuery("""
                    SELECT * FROM messages WHERE thread_id = :thread AND position > :after
                    ORDER BY position LIMIT :limit""")
                    .bind("thread", thread.value())
                    .bind("after", after)
                    .bind("limit", limit + 1)
                    .map((rs, ctx) -> {
                        positions.add(rs.getLong("position"));
                        return MAPPER.map(rs, ctx);
                    })
                    .forEach(rows::add);
            if (rows.size() <= limit) {
                return new Page<>(rows, null);
            }
            return new Page<>(rows.subList(0, limit), Cursors.encode(Long.toString(positions.get(limit - 1))));
        });
    }
}
