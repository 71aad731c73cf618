package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overseer.core.store.Database;
import dev.overseer.core.store.DatabaseSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the migrations leave, on the database the suite runs on (H2 or PostgreSQL). */
class SchemaTest {
    @Test
    void migrations_dropTheUniqueConstraintOnMessageIds_andStartTheThreadListingInSync() throws Exception {
        Path dataDir = Files.createTempDirectory("overseer-it-schema-");
        Database database = Database.open(
                new DatabaseSettings(TestDatabase.newDatabaseUrl(dataDir), TestDatabase.user(), "", 2),
                new SimpleMeterRegistry());
        try {
            database.migrate();
            List<String> constraints = database.jdbi().withHandle(handle -> handle.createQuery("""
                            SELECT constraint_type FROM information_schema.table_constraints
                            WHERE LOWER(table_name) = 'messages'""")
                    .mapTo(String.class).list());
            assertThat(constraints).as(TestDatabase.kind()).contains("PRIMARY KEY").doesNotContain("UNIQUE");
            boolean inSync = database.jdbi().withHandle(handle -> handle.createQuery(
                    "SELECT in_sync FROM thread_listing_state WHERE id = 1").mapTo(Boolean.class).one());
            assertThat(inSync).isTrue();
        } finally {
            database.close();
        }
    }
}
