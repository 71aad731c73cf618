package dev.overseer.core.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import io.micrometer.core.instrument.MeterRegistry;
import javax.sql.DataSource;
import java.util.Map;
import dev.overseer.core.store.migration.V9__messages_without_unique_id;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.output.MigrateResult;
import org.jdbi.v3.core.Jdbi;

/** The connection pool, the Jdbi over it, and the Flyway migrations that own the schema. */
public final class Database implements AutoCloseable {
    /**
     * How long a caller waits for a connection before the database counts as unreachable: the bound on a
     * request's wait during an outage (docs/configuration.md).
     */
    static final int CONNECTION_TIMEOUT_MILLIS = 2_000;
    private final HikariDataSource dataSource;
    private final Jdbi jdbi;

    private Database(HikariDataSource dataSource) {
        this.dataSource = dataSource;
        this.jdbi = Jdbi.create(dataSource);
    }

    /**
     * Opens the pool (its usage is published on {@code meters}); fails at once, with the driver's reason, when
     * the database cannot be reached.
     */
    public static Database open(DatabaseSettings settings, MeterRegistry meters) {
        return new Database(pool("overseer-db", settings.jdbcUrl(), settings, meters));
    }

    private static HikariDataSource pool(String name, String jdbcUrl, DatabaseSettings settings,
            MeterRegistry meters) {
        HikariConfig config = new HikariConfig();
        config.setPoolName(name);
        config.setJdbcUrl(tuned(jdbcUrl));
        if (!settings.user().isEmpty()) {
            config.setUsername(settings.user());
        }
        if (!settings.password().isEmpty()) {
            config.setPassword(settings.password());
        }
        config.setMaximumPoolSize(settings.maxPoolSize());
        config.setMinimumIdle(Math.min(2, settings.maxPoolSize()));
        config.setConnectionTimeout(CONNECTION_TIMEOUT_MILLIS);
        config.setValidationTimeout(1_000);
        // A database server may still be coming up (started beside this process); an H2 file will not change its
        // mind, and one held by another process (SPEC §7) must stop this start at once.
        config.setInitializationFailTimeout(jdbcUrl.startsWith("jdbc:h2:") ? 1 : 10_000);
        config.setMetricRegistry(meters);
        return new HikariDataSource(config);
    }

    private static boolean isH2File(String jdbcUrl) {
        return jdbcUrl.startsWith("jdbc:h2:file:") || (jdbcUrl.startsWith("jdbc:h2:")
                && !jdbcUrl.startsWith("jdbc:h2:mem:") && !jdbcUrl.startsWith("jdbc:h2:tcp:")
                && !jdbcUrl.startsWith("jdbc:h2:ssl:"));
    }

    /** H2's page cache in KiB when the URL does not set one (H2's default is 16 MiB), see {@link #tuned}. */
    static final int H2_CACHE_KIB = 1024;

    /**
     * Settings a URL gets unless it sets them itself. On an H2 file: {@code WRITE_DELAY=0}: H2 keeps commits in
     * memory for up to half a second by default, so a crash lost runs the server already accepted; every
     * commit is written at once. {@code CACHE_SIZE}: a copy-on-write B-tree puts a new copy of each changed
     * page in the cache, so under a steady write load the cache is a population of objects that live for a
     * few garbage collections, which the collector copies at every young pause (16 MiB of them made pauses of
     * 17–37 ms; 2 MiB, 4–10 ms; 1 MiB beat 2 MiB by 7% in runs/s, and 512 KiB was
     * no better). Reads the cache misses come from the operating system's file cache.
     *
     * <p>A PostgreSQL URL gets {@code reWriteBatchedInserts=true} unless it sets it: the driver sends a JDBC batch
     * of inserts as multi-row {@code INSERT}s instead of one statement execution per row, which the event writer's
     * batches (events, runs, {@code active_runs}) are made of (ADR 0034).
     */
    static String tuned(String jdbcUrl) {
        if (jdbcUrl.startsWith("jdbc:postgresql:")) {
            return jdbcUrl.contains("reWriteBatchedInserts=") ? jdbcUrl
                    : jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?") + "reWriteBatchedInserts=true";
        }
        if (!isH2File(jdbcUrl)) {
            return jdbcUrl;
        }
        String upper = jdbcUrl.toUpperCase(java.util.Locale.ROOT);
        String tuned = jdbcUrl;
        if (!upper.contains(";WRITE_DELAY=")) {
            tuned += ";WRITE_DELAY=0";
        }
        if (!upper.contains(";CACHE_SIZE=")) {
            tuned += ";CACHE_SIZE=" + H2_CACHE_KIB;
        }
        return tuned;
    }

    /**
     * Applies pending migrations ({@code db/migration}); returns how many were applied. One placeholder differs by database:
     * {@code messagePositionCache}, how many message positions the sequence of the old {@code messages}
     * table (migration V6, dropped by V10) handed out per stored block. Java migrations are listed here,
     * not found by scanning.
     */
    public int migrate() {
        return migrate(MigrationVersion.LATEST);
    }

    /** Applies pending migrations up to and including {@code target}, as a test of one migration needs. */
    public int migrate(String target) {
        return migrate(MigrationVersion.fromVersion(target));
    }

    private int migrate(MigrationVersion target) {
        boolean h2 = isH2();
        MigrateResult result = Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                .placeholders(Map.of("messagePositionCache", h2 ? "10000" : "1"))
                .javaMigrations(new V9__messages_without_unique_id())
                .target(target)
                .load()
                .migrate();
        return result.migrationsExecuted;
    }

    /** Whether this is an H2 database: one node by definition (SPEC §7). */
    public boolean isH2() {
        return dataSource.getJdbcUrl().startsWith("jdbc:h2:");
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** Whether the database gives a connection that validates, within {@link #CONNECTION_TIMEOUT_MILLIS} + 1 s. */
    public boolean isReady() {
        try (Connection connection = dataSource.getConnection()) {
            return connection.isValid(1);
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
