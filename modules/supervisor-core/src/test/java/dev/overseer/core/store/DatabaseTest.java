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
    void otherUrls_areLeftAlone() {
        for (String url : List.of("jdbc:h2:mem:test", "jdbc:h2:tcp://db/overseer", "jdbc:postgresql://db/overseer")) {
            assertThat(Database.tuned(url)).isEqualTo(url);
        }
    }

    @Test
    void anEmbeddedH2Database_getsTheListingInADatabaseOfItsOwnBesideIt_withTheSameSettings() {
        assertThat(Database.listingUrl("jdbc:h2:file:./data/overseer"))
                .isEqualTo("jdbc:h2:file:./data/overseer-listing");
        assertThat(Database.listingUrl("jdbc:h2:/srv/db;MODE=PostgreSQL;CACHE_SIZE=4096"))
                .isEqualTo("jdbc:h2:/srv/db-listing;MODE=PostgreSQL;CACHE_SIZE=4096");
        assertThat(Database.listingUrl("jdbc:h2:mem:test;DB_CLOSE_DELAY=-1"))
                .isEqualTo("jdbc:h2:mem:test-listing;DB_CLOSE_DELAY=-1");
    }

    @Test
    void aServerDatabase_orAPrivateInMemoryOne_holdsTheListingItself() {
        for (String url : List.of("jdbc:h2:mem:", "jdbc:h2:tcp://db/overseer", "jdbc:h2:ssl://db/overseer",
                "jdbc:postgresql://db/overseer")) {
            assertThat(Database.listingUrl(url)).isEqualTo(url);
        }
    }

    @Test
    void messages_liveInTheRunsRows_orderedOnTheirThreadByPosition() {
        Database database = InMemoryDatabases.open("schema", new SimpleMeterRegistry());
        try {
            assertThat(database.migrate()).isEqualTo(12 + 1); // the database's twelve, the listing's one
            List<String> tables = database.jdbi().withHandle(handle -> handle.createQuery(
                            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'PUBLIC'")
                    .mapTo(String.class).list());
            assertThat(tables).contains("RUNS", "THREADS").doesNotContain("MESSAGES", "THREAD_LISTING");
            List<String> listingTables = database.listingJdbi().withHandle(handle -> handle.createQuery(
                            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'PUBLIC'")
                    .mapTo(String.class).list());
            assertThat(listingTables).contains("THREAD_LISTING", "THREAD_LISTING_TOKEN").doesNotContain("THREADS");
            List<String> columns = database.jdbi().withHandle(handle -> handle.createQuery(
                            "SELECT column_name FROM information_schema.columns WHERE table_name = 'RUNS'")
                    .mapTo(String.class).list());
            assertThat(columns).contains("POSITION", "USER_MESSAGE_ID", "USER_MESSAGE", "ASSISTANT_MESSAGE_ID");
            List<String> indexed = database.jdbi().withHandle(handle -> handle.createQuery("""
                            SELECT column_name FROM information_schema.index_columns
                            WHERE table_name = 'RUNS' AND index_name = 'RUNS_BY_THREAD' ORDER BY ordinal_position""")
                    .mapTo(String.class).list());
            assertThat(indexed).containsExactly("THREAD_ID", "POSITION");
        } finally {
            InMemoryDatabases.close(database);
        }
    }
}
