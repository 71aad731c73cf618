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
                .isEqualTo("jdbc:h2:file:./data/overseer;WRITE_DELAY=0;CACHE_SIZE=2048");
        assertThat(Database.tuned("jdbc:h2:./data/overseer;MODE=PostgreSQL"))
                .isEqualTo("jdbc:h2:./data/overseer;MODE=PostgreSQL;WRITE_DELAY=0;CACHE_SIZE=2048");
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
    void messages_haveNoUniqueIdConstraint_butKeepTheirKeyAndThreadIndex() {
        Database database = InMemoryDatabases.open("schema", new SimpleMeterRegistry());
        try {
            assertThat(database.migrate()).isEqualTo(9);
            List<String> constraints = database.jdbi().withHandle(handle -> handle.createQuery("""
                            SELECT constraint_type FROM information_schema.table_constraints
                            WHERE table_name = 'MESSAGES' ORDER BY constraint_type""")
                    .mapTo(String.class).list());
            assertThat(constraints).doesNotContain("UNIQUE").contains("PRIMARY KEY");
            List<String> indexes = database.jdbi().withHandle(handle -> handle.createQuery(
                            "SELECT index_name FROM information_schema.indexes WHERE table_name = 'MESSAGES'")
                    .mapTo(String.class).list());
            assertThat(indexes).contains("MESSAGES_BY_THREAD");
        } finally {
            InMemoryDatabases.close(database);
        }
    }
}
