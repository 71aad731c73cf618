package dev.overseer.it;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The database the integration suite runs on, chosen by the system property {@code overseer.it.db}:
 * {@code h2} (a file under the test's data dir) or {@code postgres} (a real PostgreSQL started once per
 * JVM from the zonky artifact, with a fresh database per server).
 */
public final class TestDatabase {
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static EmbeddedPostgres postgres;

    private TestDatabase() {
    }

    public static boolean postgres() {
        return System.getProperty("overseer.it.db", "h2").toLowerCase(Locale.ROOT).equals("postgres");
    }

    public static String kind() {
        return postgres() ? "postgres" : "h2";
    }

    /** A JDBC URL for a new, empty database. */
    public static String newDatabaseUrl(Path dataDir) {
        if (!postgres()) {
            return "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("overseer");
        }
        EmbeddedPostgres server = server();
        String name = "overseer_" + DATABASES.incrementAndGet();
        try (Connection connection = server.getPostgresDatabase().getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name, e);
        }
        return server.getJdbcUrl("postgres", name);
    }

    public static String user() {
        return postgres() ? "postgres" : "";
    }

    private static synchronized EmbeddedPostgres server() {
        if (postgres == null) {
            try {
                postgres = EmbeddedPostgres.builder().start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the embedded PostgreSQL", e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    postgres.close();
                } catch (IOException e) {
                    // the JVM is exiting
                }
            }));
        }
        return postgres;
    }
}
