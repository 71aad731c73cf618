package dev.overseer.core.store;

import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/** Named in-memory H2 databases for tests: each its own, and gone once closed. */
public final class InMemoryDatabases {
    private InMemoryDatabases() {
    }

    /** A new empty database (not migrated) whose pool reports to {@code meters}. */
    public static Database open(String name, MeterRegistry meters) {
        return Database.open(new DatabaseSettings(
                "jdbc:h2:mem:" + name + "-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "", "", 4), meters);
    }

    /** Shuts the database down, then closes its pool. */
    public static void close(Database database) {
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement()) {
            // The named in-memory database outlives the pool (DB_CLOSE_DELAY=-1) unless it is shut down.
            statement.execute("SHUTDOWN");
        } catch (SQLException closedByShutdown) {
            // H2 closes the connection it shut down with; nothing is left to release.
        }
        database.close();
    }
}
