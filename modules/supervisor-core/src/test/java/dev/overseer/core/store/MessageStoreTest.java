package dev.overseer.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overseer.context.MessageId;
import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A thread's messages as its runs' rows hold them (ADR 0013): order, pages, the history a run reads. */
class MessageStoreTest {
    private static final ThreadId THREAD = new ThreadId("thr_1");

    private final Database database = InMemoryDatabases.open("messages", new SimpleMeterRegistry());
    private final MessageStore messages = new MessageStore(database.jdbi());

    @BeforeEach
    void migrate() {
        database.migrate();
        database.jdbi().useHandle(handle -> handle.execute("""
                INSERT INTO threads (id, user_id, metadata, created_at, updated_at)
                VALUES ('thr_1', 'alice', '{}', 0, 0), ('thr_2', 'alice', '{}', 0, 0)"""));
    }

    @AfterEach
    void close() {
        InMemoryDatabases.close(database);
    }

    /** A run at {@code position}: its user message {@code u<n>} and, when answered, {@code a<n>}. */
    private void run(String thread, int n, long position, boolean answered) {
        database.jdbi().useHandle(handle -> handle.createUpdate("""
                        INSERT INTO runs (id, thread_id, user_id, agent, status, origin, created_at, finished_at,
                                          output, position, user_message_id, user_message, assistant_message_id)
                        VALUES (:id, :thread, 'alice', 'supervisor', 'completed', 'http', :created, :finished,
                                :output, :position, :question_id, :question, :answer_id)""")
                .bind("id", "run_" + n)
                .bind("thread", thread)
                .bind("created", 1_000L * n)
                .bind("finished", 1_000L * n + 10)
                .bind("output", "answer " + n)
                .bind("position", position)
                .bind("question_id", "msg_u" + n)
                .bind("question", "question " + n)
                .bind("answer_id", answered ? "msg_a" + n : null)
                .execute());
    }

    private List<String> allPages(int limit) {
        List<String> ids = new ArrayList<>();
        String cursor = null;
        do {
            Page<MessageRecord> page = messages.list(THREAD, cursor, limit);
            assertThat(page.items().size()).isLessThanOrEqualTo(limit);
            page.items().forEach(message -> ids.add(message.id().value()));
            cursor = page.nextCursor();
        } while (cursor != null);
        return ids;
    }

    @Test
    void aThreadsMessages_areItsRunsQuestionsAndAnswers_inPositionOrder() {
        run("thr_1", 2, 20, true);
        run("thr_1", 1, 10, true);
        run("thr_2", 9, 15, true);
        run("thr_1", 3, 30, false);

        List<MessageRecord> all = messages.list(THREAD, null, 10).items();

        assertThat(all).extracting(message -> message.id().value())
                .containsExactly("msg_u1", "msg_a1", "msg_u2", "msg_a2", "msg_u3");
        assertThat(all.get(0)).isEqualTo(new MessageRecord(new MessageId("msg_u1"), THREAD, new RunId("run_1"),
                MessageRecord.Role.USER, "question 1", Instant.ofEpochMilli(1_000)));
        assertThat(all.get(1)).isEqualTo(new MessageRecord(new MessageId("msg_a1"), THREAD, new RunId("run_1"),
                MessageRecord.Role.ASSISTANT, "answer 1", Instant.ofEpochMilli(1_010)));
    }

    @Test
    void pagesOfEverySize_giveEveryMessageOnce_evenAcrossRunsThatShareAPosition() {
        // Migrated runs without a user message share position 0 (V10); the others have their own.
        run("thr_1", 4, 0, true);
        run("thr_1", 5, 0, true);
        run("thr_1", 6, 0, false);
        for (int n = 1; n <= 3; n++) {
            run("thr_1", n, 100 + n, n != 2);
        }
        List<String> expected = messages.list(THREAD, null, 100).items().stream().map(m -> m.id().value()).toList();
        assertThat(expected).hasSize(10).doesNotHaveDuplicates();
        assertThat(expected.subList(5, 10)).containsExactly("msg_u1", "msg_a1", "msg_u2", "msg_u3", "msg_a3");

        for (int limit = 1; limit <= 11; limit++) {
            assertThat(allPages(limit)).as("pages of %d", limit).isEqualTo(expected);
        }
    }

    @Test
    void runsWithoutMessages_areSkipped_evenWhenAPageWorthOfThemComesFirst() {
        database.jdbi().useHandle(handle -> {
            for (int n = 1; n <= 5; n++) {
                handle.execute("""
                        INSERT INTO runs (id, thread_id, user_id, agent, status, origin, created_at, position)
                        VALUES ('run_empty%d', 'thr_1', 'alice', 'supervisor', 'failed', 'http', 0, 0)""".formatted(n));
            }
        });
        run("thr_1", 1, 10, true);

        assertThat(allPages(2)).containsExactly("msg_u1", "msg_a1");
        assertThat(messages.list(THREAD, null, 2).nextCursor()).isNull();
    }

    @Test
    void recent_isNewestFirst_withoutTheRunAskingForIt_andAtMostTheLimit() {
        for (int n = 1; n <= 4; n++) {
            run("thr_1", n, n, n != 3);
        }

        assertThat(messages.recent(THREAD, new RunId("run_4"), 10)).extracting(message -> message.id().value())
                .containsExactly("msg_u3", "msg_a2", "msg_u2", "msg_a1", "msg_u1");
        assertThat(messages.recent(THREAD, new RunId("run_4"), 2)).extracting(message -> message.id().value())
                .containsExactly("msg_u3", "msg_a2");
    }

    @Test
    void aCursorThatIsNotOne_isRefused() {
        String notOurs = Base64.getUrlEncoder().encodeToString("12".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> messages.list(THREAD, notOurs, 10)).isInstanceOf(InvalidCursorException.class);
        assertThatThrownBy(() -> messages.list(THREAD, "%%%", 10)).isInstanceOf(InvalidCursorException.class);
    }
}
