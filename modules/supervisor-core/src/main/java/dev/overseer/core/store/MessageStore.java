package dev.overseer.core.store;

import dev.overseer.context.MessageId;
import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * The messages of threads, read from their runs' rows (ADR 0013): each run holds the user message that
 * started it and, once it completed, the assistant message it ended in (the run's output, at its finish).
 * A thread's runs are ordered by their position, so its messages are: user, assistant, user, …
 */
@Singleton
public final class MessageStore {
    private static final String COLUMNS = "SELECT id, thread_id, position, user_message_id, user_message, created_at,"
            + " assistant_message_id, output, finished_at FROM runs ";

    private final Jdbi jdbi;

    @Inject
    public MessageStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** The thread's latest messages, newest first, leaving out those of {@code exceptRun}. */
    public List<MessageRecord> recent(ThreadId thread, RunId exceptRun, int limit) {
        List<MessageRecord> newestFirst = new ArrayList<>();
        jdbi.useHandle(handle -> handle.createQuery(COLUMNS
                        + "WHERE thread_id = :thread AND id <> :run ORDER BY position DESC, id DESC LIMIT :limit")
                .bind("thread", thread.value())
                .bind("run", exceptRun.value())
                .bind("limit", limit)
                .map(RunMessages::read)
                .forEach(run -> newestFirst.addAll(run.messages().reversed())));
        return newestFirst.size() > limit ? newestFirst.subList(0, limit) : newestFirst;
    }

    /** A page of a thread's messages, oldest first; the caller has checked the thread's owner. */
    public Page<MessageRecord> list(ThreadId thread, String cursor, int limit) {
        List<MessageRecord> page = new ArrayList<>(limit + 1);
        Key last = jdbi.withHandle(handle -> {
            Key lastOnPage = null;
            // Runs hold one or two messages (a run migrated without any holds none): read runs until the page
            // and one more message are found, or the thread has no more. Each read starts at the run of the
            // last message taken, which it reads again.
            Key from = cursor == null ? Key.START : Key.decode(cursor);
            int runs = limit + 1;
            while (page.size() <= limit) {
                List<RunMessages> rows = runsFrom(handle, thread, from, runs);
                for (RunMessages run : rows) {
                    for (MessageRecord message : run.messages()) {
                        Key key = new Key(run.position(), run.runId(), message.role());
                        if (key.isAfter(from)) {
                            page.add(message);
                            if (page.size() == limit) {
                                lastOnPage = key;
                            }
                        }
                    }
                }
                if (rows.size() < runs) {
                    break;
                }
                RunMessages lastRun = rows.getLast();
                from = new Key(lastRun.position(), lastRun.runId(), MessageRecord.Role.ASSISTANT);
            }
            return lastOnPage;
        });
        if (page.size() <= limit) {
            return new Page<>(page, null);
        }
        return new Page<>(page.subList(0, limit), last.encode());
    }

    /** The thread's runs from {@code from}'s run on, in order. */
    private static List<RunMessages> runsFrom(Handle handle, ThreadId thread, Key from, int limit) {
        return handle.createQuery(COLUMNS + """
                        WHERE thread_id = :thread AND position >= :position AND (position > :position OR id >= :run)
                        ORDER BY position, id LIMIT :limit""")
                .bind("thread", thread.value())
                .bind("position", from.position())
                .bind("run", from.runId())
                .bind("limit", limit)
                .map(RunMessages::read)
                .list();
    }

    /** One run's row as the messages it holds. */
    private record RunMessages(long position, String runId, List<MessageRecord> messages) {
        static RunMessages read(ResultSet rs, StatementContext ctx) throws SQLException {
            String runId = rs.getString("id");
            ThreadId thread = new ThreadId(rs.getString("thread_id"));
            RunId run = new RunId(runId);
            List<MessageRecord> messages = new ArrayList<>(2);
            String question = rs.getString("user_message_id");
            if (question != null) {
                messages.add(new MessageRecord(new MessageId(question), thread, run, MessageRecord.Role.USER,
                        rs.getString("user_message"), Rows.instant(rs, "created_at")));
            }
            String answer = rs.getString("assistant_message_id");
            if (answer != null) {
                messages.add(new MessageRecord(new MessageId(answer), thread, run, MessageRecord.Role.ASSISTANT,
                        rs.getString("output"), Rows.instant(rs, "finished_at")));
            }
            return new RunMessages(rs.getLong("position"), runId, messages);
        }
    }

    /**
     * Where a message sorts on its thread: its run's position and id (in the database's order), then user
     * before assistant.
     */
    private record Key(long position, String runId, MessageRecord.Role role) {
        /** Before every message: no run has this position, and no run id is empty. */
        static final Key START = new Key(Long.MIN_VALUE, "", MessageRecord.Role.USER);

        /** Whether this message comes after {@code from}, given that its run is not before {@code from}'s. */
        boolean isAfter(Key from) {
            boolean sameRun = position == from.position && runId.equals(from.runId);
            return !sameRun || role.ordinal() > from.role.ordinal();
        }

        String encode() {
            return Cursors.encode(position + ":" + role.wire() + ":" + runId);
        }

        static Key decode(String cursor) {
            String[] parts = Cursors.decode(cursor).split(":", 3);
            if (parts.length != 3 || parts[2].isEmpty()) {
                throw new InvalidCursorException();
            }
            try {
                return new Key(Long.parseLong(parts[0]), parts[2], MessageRecord.Role.fromWire(parts[1]));
            } catch (IllegalArgumentException e) {
                throw new InvalidCursorException();
            }
        }
    }
}
