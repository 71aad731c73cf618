package dev.overseer.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The PostgreSQL of {@code --postgres}: one embedded server per harness run (the zonky artifact the integration
 * suite uses, PostgreSQL 14), stopped when the harness exits, and a fresh database for each Overseer it starts.
 */
final class BenchPostgres {
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static EmbeddedPostgres server;

    private BenchPostgres() {
    }

    /** The {@code OVERSEER_DB_*} variables of a new, empty database. */
    static synchronized Map<String, String> newDatabase() {
        if (server == null) {
            try {
                server = EmbeddedPostgres.builder().start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the embedded PostgreSQL", e);
            }
            EmbeddedPostgres started = server;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.close();
                } catch (IOException e) {
                    // the harness is exiting
                }
            }));
        }
        String name = "overseer_bench_" + DATABASES.incrementAndGet();
        try (Connection connection = server.getPostgresDatabase().getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name, e);
        }
        return Map.of("OVERSEER_DB_URL", server.getJdbcUrl("postgres", name), "OVERSEER_DB_USER", "postgres");
    }
}
