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

/**
 * The connection pools, the Jdbis over them, and the Flyway migrations that own the schema.
 *
 * <p>Two databases when the configured one is an embedded H2 (ADR 0015): the thread listing lives in one of
 * its own beside it, since H2 writes the pages of each commit under one lock per database, so the listing's
 * commits held up the event writer's. Elsewhere (PostgreSQL, a remote H2) both are the configured database.
 */
public final class Database implements AutoCloseable {
    /**
     * How long a caller waits for a connection before the database counts as unreachable: the bound on a
     * request's wait during an outage (docs/configuration.md).
     */
    static final int CONNECTION_TIMEOUT_MILLIS = 2_000;
    private final HikariDataSource dataSource;
    private final HikariDataSource listingDataSource;
    private final Jdbi jdbi;
    private final Jdbi listingJdbi;

    private Database(HikariDataSource dataSource, HikariDataSource listingDataSource) {
        this.dataSource = dataSource;
        this.listingDataSource = listingDataSource;
        this.jdbi = Jdbi.create(dataSource);
        this.listingJdbi = listingDataSource == dataSource ? jdbi : Jdbi.create(listingDataSource);
    }

    /**
     * Opens the pools (their usage is published on {@code meters}); fails at once, with the driver's reason,
     * when a database cannot be reached.
     */
    public static Database open(DatabaseSettings settings, MeterRegistry meters) {
        HikariDataSource main = pool("overseer-db", settings.jdbcUrl(), settings, meters);
        String listingUrl = listingUrl(settings.jdbcUrl());
        if (listingUrl.equals(settings.jdbcUrl())) {
            return new Database(main, main);
        }
        try {
            return new Database(main, pool("overseer-listing-db", listingUrl, settings, meters));
        } catch (RuntimeException e) {
            main.close();
            throw e;
        }
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
        config.setInitializationFailTimeout(10_000);
        config.setMetricRegistry(meters);
        return new HikariDataSource(config);
    }

    /**
     * Where the thread listing lives: for an embedded H2 database (a file, or a named in-memory database) one
     * of its own, named after it with {@code -listing} and the same settings; else the database itself.
     */
    static String listingUrl(String jdbcUrl) {
        int settings = jdbcUrl.indexOf(';');
        String location = settings < 0 ? jdbcUrl : jdbcUrl.substring(0, settings);
        String rest = settings < 0 ? "" : jdbcUrl.substring(settings);
        boolean namedInMemory = location.startsWith("jdbc:h2:mem:") && location.length() > "jdbc:h2:mem:".length();
        if (!namedInMemory && !isH2File(jdbcUrl)) {
            return jdbcUrl;
        }
        return location + "-listing" + rest;
    }

    private static boolean isH2File(String jdbcUrl) {
        return jdbcUrl.startsWith("jdbc:h2:file:") || (jdbcUrl.startsWith("jdbc:h2:")
                && !jdbcUrl.startsWith("jdbc:h2:mem:") && !jdbcUrl.startsWith("jdbc:h2:tcp:")
                && !jdbcUrl.startsWith("jdbc:h2:ssl:"));
    }

    /**
     * H2's page cache in KiB when the URL does not set one (H2's default is 16 MiB), see {@link #tuned}: each
     * of the two databases of an embedded H2 (ADR 0015) gets one.
     */
    static final int H2_CACHE_KIB = 1024;

    /**
     * Settings an H2 file URL gets unless it sets them itself. {@code WRITE_DELAY=0}: H2 keeps commits in
     * memory for up to half a second by default, so a crash lost runs the server already accepted; every
     * commit is written at once. {@code CACHE_SIZE}: a copy-on-write B-tree puts a new copy of each changed
     * page in the cache, so under a steady write load the cache is a population of objects that live for a
     * few garbage collections, which the collector copies at every young pause (16 MiB of them made pauses of
     * 17–37 ms; 2 MiB, 4–10 ms; two databases of 1 MiB each beat two of 2 MiB by 7% in runs/s, and 512 KiB was
     * no better). Reads the cache misses come from the operating system's file cache.
     */
    static String tuned(String jdbcUrl) {
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
     * Applies pending migrations, the database's ({@code db/migration}) then the listing's ({@code db/listing},
     * with a history table of its own); returns how many were applied. One placeholder differs by database:
     * {@code messagePositionCache}, how many message positions the sequence of the old {@code messages}
     * table (migration V6, dropped by V10) handed out per stored block. Java migrations are listed here,
     * not found by scanning.
     */
    public int migrate() {
        return migrate(MigrationVersion.LATEST) + migrateListing();
    }

    /**
     * Applies the database's pending migrations up to and including {@code target}, as a test of one migration
     * needs; the listing's are left alone.
     */
    public int migrate(String target) {
        return migrate(MigrationVersion.fromVersion(target));
    }

    /**
     * The listing's schema. Where it shares the database, that schema is not empty: a baseline at version 0
     * lets Flyway start a second history there and still apply V1.
     */
    private int migrateListing() {
        return Flyway.configure()
                .dataSource(listingDataSource)
                .locations("classpath:db/listing")
                .table("listing_schema_history")
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .load()
                .migrate()
                .migrationsExecuted;
    }

    private int migrate(MigrationVersion target) {
        boolean h2 = dataSource.getJdbcUrl().startsWith("jdbc:h2:");
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

    public Jdbi jdbi() {
        return jdbi;
    }

    /** The thread listing's database: its own for an embedded H2, else the same as {@link #jdbi()}. */
    public Jdbi listingJdbi() {
        return listingJdbi;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public DataSource listingDataSource() {
        return listingDataSource;
    }

    /** Whether the database answers within two seconds. */
    public boolean isReady() {
        try (Connection connection = dataSource.getConnection()) {
            return connection.isValid(1);
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() {
        if (listingDataSource != dataSource) {
            listingDataSource.close();
        }
        dataSource.close();
    }
}
