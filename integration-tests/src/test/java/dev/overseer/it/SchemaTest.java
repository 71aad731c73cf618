package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overseer.context.ThreadId;
import dev.overseer.core.store.Database;
import dev.overseer.core.store.DatabaseSettings;
import dev.overseer.core.store.MessageRecord;
import dev.overseer.core.store.MessageStore;
import dev.overseer.core.store.Page;
import dev.overseer.core.store.RunPositions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the migrations leave, on the database the suite runs on (H2 or PostgreSQL). */
class SchemaTest {
    private Database database;

    @BeforeEach
    void open() throws Exception {
        Path dataDir = Files.createTempDirectory("overseer-it-schema-");
        database = Database.open(new DatabaseSettings(TestDatabase.newDatabaseUrl(dataDir), TestDatabase.user(), "", 2),
                new SimpleMeterRegistry());
    }

    @AfterEach
    void close() {
        database.close();
    }

    @Test
    void migrations_leaveNoMessagesTable_andThreadsListedThroughAnIndex() {
        assertThat(database.migrate()).isEqualTo(16);
        List<String> tables = tables();
        assertThat(tables).as(TestDatabase.kind()).contains("runs", "threads", "run_approvals")
                .doesNotContain("messages", "thread_listing", "thread_listing_state", "thread_listing_token");
        assertThat(database.migrate()).isZero();
    }

    @Test
    void v13_dropsTheListingTheLastVersionKeptInThisDatabase() {
        // What a database shared with the listing (PostgreSQL, ADR 0015) held before ADR 0019.
        database.migrate("12");
        database.jdbi().useHandle(handle -> {
            handle.execute("CREATE TABLE thread_listing (thread_id VARCHAR(64) NOT NULL PRIMARY KEY, "
                    + "user_id VARCHAR(128) NOT NULL, updated_at BIGINT NOT NULL)");
            handle.execute("CREATE TABLE thread_listing_token (id INTEGER NOT NULL PRIMARY KEY, token VARCHAR(64))");
            handle.execute("CREATE TABLE listing_schema_history (installed_rank INTEGER NOT NULL PRIMARY KEY)");
        });

        assertThat(database.migrate()).isEqualTo(4); // V13 to V16

        assertThat(tables()).as(TestDatabase.kind()).contains("threads").doesNotContain("thread_listing",
                "thread_listing_state", "thread_listing_token", "listing_schema_history");
    }

    private List<String> tables() {
        return database.jdbi().withHandle(handle -> handle.createQuery(
                        "SELECT LOWER(table_name) FROM information_schema.tables")
                .mapTo(String.class).list());
    }

    @Test
    void dataStoredUnderV9_messagesAndActiveRuns_readTheSameAfterTheMigrations() {
        database.migrate("9");
        database.jdbi().useTransaction(handle -> {
            thread(handle, "thr_a");
            thread(handle, "thr_b");
            run(handle, "run_a1", "thr_a", "completed", 1_000, 1_500L, "6*7 = 42");
            run(handle, "run_b1", "thr_b", "completed", 1_100, 1_200L, "elsewhere");
            run(handle, "run_a2", "thr_a", "failed", 2_000, 2_100L, null);
            run(handle, "run_a3", "thr_a", "completed", 3_000, 3_300L, "It is noon.");
            run(handle, "run_b2", "thr_b", "running", 4_000, null, null);
            message(handle, "msg_u1", "thr_a", "run_a1", "user", "What is 6*7?", 1_000);
            message(handle, "msg_bu", "thr_b", "run_b1", "user", "not Alice's thread", 1_100);
            message(handle, "msg_a1", "thr_a", "run_a1", "assistant", "6*7 = 42", 1_500);
            message(handle, "msg_bv", "thr_b", "run_b1", "assistant", "elsewhere", 1_200);
            message(handle, "msg_u2", "thr_a", "run_a2", "user", "Divide by zero", 2_000);
            message(handle, "msg_u3", "thr_a", "run_a3", "user", "What time is it?", 3_000);
            message(handle, "msg_a3", "thr_a", "run_a3", "assistant", "It is noon.", 3_300);
        });

        assertThat(database.migrate()).isEqualTo(7); // V10 to V16

        MessageStore messages = new MessageStore(database.jdbi());
        ThreadId thread = new ThreadId("thr_a");
        Page<MessageRecord> first = messages.list(thread, null, 2);
        Page<MessageRecord> second = messages.list(thread, first.nextCursor(), 2);
        Page<MessageRecord> third = messages.list(thread, second.nextCursor(), 2);
        assertThat(first.items()).extracting(m -> m.id().value()).containsExactly("msg_u1", "msg_a1");
        assertThat(second.items()).extracting(m -> m.id().value()).containsExactly("msg_u2", "msg_u3");
        assertThat(third.items()).extracting(m -> m.id().value()).containsExactly("msg_a3");
        assertThat(third.nextCursor()).isNull();
        assertThat(first.items()).extracting(MessageRecord::content).containsExactly("What is 6*7?", "6*7 = 42");
        assertThat(first.items()).extracting(MessageRecord::createdAt)
                .containsExactly(Instant.ofEpochMilli(1_000), Instant.ofEpochMilli(1_500));
        assertThat(second.items()).extracting(m -> m.runId().value()).containsExactly("run_a2", "run_a3");
        assertThat(messages.list(new ThreadId("thr_b"), null, 10).items()).extracting(MessageRecord::content)
                .containsExactly("not Alice's thread", "elsewhere");
        // V11: the runs a stop could leave active are listed for recovery; the finished ones are not.
        List<String> active = database.jdbi().withHandle(handle -> handle.createQuery(
                "SELECT run_id FROM active_runs").mapTo(String.class).list());
        assertThat(active).containsExactly("run_b2");
        // V14: it keeps its user, and has no owner or lease, so the next start fails it (ADR 0020).
        List<String> leases = database.jdbi().withHandle(handle -> handle.createQuery("""
                        SELECT user_id || '/' || COALESCE(owner_node, '-') || '/'
                               || COALESCE(CAST(lease_expires_at AS VARCHAR(20)), '-') FROM active_runs""")
                .mapTo(String.class).list());
        assertThat(leases).containsExactly("alice/-/-");
        // V15: it holds its thread (ADR 0022).
        List<String> held = database.jdbi().withHandle(handle -> handle.createQuery("SELECT thread_id FROM active_runs")
                .mapTo(String.class).list());
        assertThat(held).containsExactly("thr_b");

        // A run admitted after the migration comes after every migrated one.
        database.jdbi().useHandle(handle -> handle.createUpdate("""
                        INSERT INTO runs (id, thread_id, user_id, agent, status, origin, created_at, position,
                                          user_message_id, user_message)
                        VALUES ('run_a4', 'thr_a', 'alice', 'supervisor', 'queued', 'http', 4000, :position,
                                'msg_u4', 'And now?')""")
                .bind("position", RunPositions.next(Instant.ofEpochMilli(4_000)))
                .execute());
        assertThat(messages.list(thread, null, 10).items()).extracting(m -> m.id().value())
                .containsExactly("msg_u1", "msg_a1", "msg_u2", "msg_u3", "msg_a3", "msg_u4");
        assertThat(messages.list(thread, second.nextCursor(), 10).items())
                .extracting(m -> m.id().value()).containsExactly("msg_a3", "msg_u4");
    }

    private static void thread(Handle handle, String id) {
        handle.createUpdate("""
                        INSERT INTO threads (id, user_id, metadata, created_at, updated_at)
                        VALUES (:id, 'alice', '{}', 0, 0)""")
                .bind("id", id)
                .execute();
    }

    private static void run(Handle handle, String id, String thread, String status, long created, Long finished,
            String output) {
        handle.createUpdate("""
                        INSERT INTO runs (id, thread_id, user_id, agent, status, origin, created_at, started_at,
                                          finished_at, output)
                        VALUES (:id, :thread, 'alice', 'supervisor', :status, 'websocket', :created, :created,
                                :finished, :output)""")
                .bind("id", id)
                .bind("thread", thread)
                .bind("status", status)
                .bind("created", created)
                .bind("finished", finished)
                .bind("output", output)
                .execute();
    }

    private static void message(Handle handle, String id, String thread, String run, String role, String content,
            long created) {
        handle.createUpdate("""
                        INSERT INTO messages (id, thread_id, run_id, role, content, created_at)
                        VALUES (:id, :thread, :run, :role, :content, :created)""")
                .bind("id", id)
                .bind("thread", thread)
                .bind("run", run)
                .bind("role", role)
                .bind("content", content)
                .bind("created", created)
                .execute();
    }
}
