package dev.overseer.core.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the database layer adds to a JDBC URL, and the schema its migrations leave. */
class DatabaseTest {
    @Test
    void anH2FileUrl_isWrittenAtEveryCommitWithASmallPageCache() {
        assertThat(Database.tuned("jdbc:h2:file:./data/overseer"))
                .isEqualTo("jdbc:h2:file:./data/overseer;WRITE_DELAY=0;CACHE_SIZE=1024");
        assertThat(Database.tuned("jdbc:h2:./data/overseer;MODE=PostgreSQL"))
                .isEqualTo("jdbc:h2:./data/overseer;MODE=PostgreSQL;WRITE_DELAY=0;CACHE_SIZE=1024");
    }

    @Test
    void settingsTheUrlGives_areKept() {
        assertThat(Database.tuned("jdbc:h2:file:/srv/db;cache_size=65536"))
                .isEqualTo("jdbc:h2:file:/srv/db;cache_size=65536;WRITE_DELAY=0");
        assertThat(Database.tuned("jdbc:h2:file:/srv/db;WRITE_DELAY=500;CACHE_SIZE=1024"))
                .isEqualTo("jdbc:h2:file:/srv/db;WRITE_DELAY=500;CACHE_SIZE=1024");
    }

    @Test
    void aPostgresqlUrl_sendsBatchesOfInsertsAsMultiRowInserts() {
        assertThat(Database.tuned("jdbc:postgresql://db/overseer"))
                .isEqualTo("jdbc:postgresql://db/overseer?reWriteBatchedInserts=true");
        assertThat(Database.tuned("jdbc:postgresql://db/overseer?ssl=true"))
                .isEqualTo("jdbc:postgresql://db/overseer?ssl=true&reWriteBatchedInserts=true");
        assertThat(Database.tuned("jdbc:postgresql://db/overseer?reWriteBatchedInserts=false"))
                .isEqualTo("jdbc:postgresql://db/overseer?reWriteBatchedInserts=false");
    }

    @Test
    void otherUrls_areLeftAlone() {
        for (String url : List.of("jdbc:h2:mem:test", "jdbc:h2:tcp://db/overseer")) {
            assertThat(Database.tuned(url)).isEqualTo(url);
        }
    }

    @Test
    void messages_liveInTheRunsRows_orderedOnTheirThreadByPosition() {
        Database database = InMemoryDatabases.open("schema", new SimpleMeterRegistry());
        try {
            assertThat(database.migrate()).isEqualTo(16);
            List<String> tables = database.jdbi().withHandle(handle -> handle.createQuery(
                            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'PUBLIC'")
                    .mapTo(String.class).list());
            assertThat(tables).contains("RUNS", "THREADS", "RUN_APPROVALS").doesNotContain("MESSAGES", "THREAD_LISTING",
                    "THREAD_LISTING_STATE", "THREAD_LISTING_TOKEN", "LISTING_SCHEMA_HISTORY");
            List<String> columns = database.jdbi().withHandle(handle -> handle.createQuery(
                            "SELECT column_name FROM information_schema.columns WHERE table_name = 'RUNS'")
                    .mapTo(String.class).list());
            assertThat(columns).contains("POSITION", "USER_MESSAGE_ID", "USER_MESSAGE", "ASSISTANT_MESSAGE_ID");
            List<String> indexed = database.jdbi().withHandle(handle -> handle.createQuery("""
                            SELECT column_name FROM information_schema.index_columns
                            WHERE table_name = 'RUNS' AND index_name = 'RUNS_BY_THREAD' ORDER BY ordinal_position""")
                    .mapTo(String.class).list());
            assertThat(indexed).containsExactly("THREAD_ID", "POSITION");
            // GET /api/threads: a keyset read of each user's threads by recency (ADR 0019).
            List<String> listed = database.jdbi().withHandle(handle -> handle.createQuery("""
                            SELECT column_name FROM information_schema.index_columns
                            WHERE table_name = 'THREADS' AND index_name = 'THREADS_BY_USER_RECENCY'
                            ORDER BY ordinal_position""")
                    .mapTo(String.class).list());
            assertThat(listed).containsExactly("USER_ID", "UPDATED_AT", "ID");
            // Leases and the active-run limit across nodes (ADR 0020); a thread is busy while a run of it is here (ADR 0022).
            List<String> active = database.jdbi().withHandle(handle -> handle.createQuery(
                            "SELECT column_name FROM information_schema.columns WHERE table_name = 'ACTIVE_RUNS'")
                    .mapTo(String.class).list());
            assertThat(active).containsExactlyInAnyOrder("RUN_ID", "THREAD_ID", "USER_ID", "OWNER_NODE", "LEASE_EXPIRES_AT");
            List<String> threadColumns = database.jdbi().withHandle(handle -> handle.createQuery(
                            "SELECT column_name FROM information_schema.columns WHERE table_name = 'THREADS'")
                    .mapTo(String.class).list());
            assertThat(threadColumns).doesNotContain("ACTIVE_RUN_ID");
            assertThat(tables).contains("RUN_ADMISSION_LOCKS");
        } finally {
            InMemoryDatabases.close(database);
        }
    }
}
