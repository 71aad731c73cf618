package dev.overseer.app;

import dev.overseer.core.supervisor.AgentConfigurationException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.util.Optional;

/**
 * What stopped a command, as the one line an operator reads (naming the variable to fix, or the service to start)
 * and the exit code of its kind; the codes are listed in docs/configuration.md (ADR 0028).
 */
record StartupFailure(int exitCode, String message) {
    /** A setting cannot be used: a bad value, or what it names is unusable (a taken port, an H2 file in use). */
    static final int CONFIGURATION = 2;
    /** The database that {@code OVERSEER_DB_URL} names did not answer: it may be down or not up yet, so a retry can help. */
    static final int DATABASE_UNREACHABLE = 3;

    /** H2's {@code ErrorCode.DATABASE_ALREADY_OPEN_1}: another process holds the database file's lock. */
    private static final int H2_DATABASE_IN_USE = 90020;
    /** H2's {@code ErrorCode.CONNECTION_BROKEN_1}: an H2 server ({@code jdbc:h2:tcp:}) did not answer. */
    private static final int H2_CONNECTION_BROKEN = 90067;

    StartupFailure {
        message = oneLine(message);
    }

    /**
     * What {@code failure} (or a cause of it) means to an operator; empty when nothing in it is the environment's
     * doing, which is a bug and keeps its stack trace (exit 1).
     */
    static Optional<StartupFailure> of(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConfigException config) {
                return Optional.of(configuration(config.getMessage()));
            }
            if (cause instanceof AgentConfigurationException agents) {
                return Optional.of(configuration("OVERSEER_AGENTS_FILE: " + agents.getMessage()));
            }
            if (cause instanceof BindException bind) {
                return Optional.of(configuration("OVERSEER_HOST/OVERSEER_PORT: cannot listen there ("
                        + oneLine(bind.getMessage()) + "); choose a free port or an address of this machine"));
            }
            if (cause instanceof SQLException sql) {
                return Optional.of(database(sql));
            }
        }
        return Optional.empty();
    }

    private static StartupFailure database(SQLException sql) {
        if (sql.getErrorCode() == H2_DATABASE_IN_USE) {
            return configuration("OVERSEER_DB_URL: the H2 database is in use by another process; an H2 database has "
                    + "exactly one Overseer node (several nodes share PostgreSQL): stop the other process or give this "
                    + "one its own OVERSEER_DATA_DIR");
        }
        if (unreachable(sql)) {
            return new StartupFailure(DATABASE_UNREACHABLE, "OVERSEER_DB_URL: the database does not answer ("
                    + oneLine(sql.getMessage()) + "); start it, or point OVERSEER_DB_URL at one that runs");
        }
        return configuration("OVERSEER_DB_URL: cannot use the database (" + oneLine(sql.getMessage())
                + "); check OVERSEER_DB_URL, OVERSEER_DB_USER and OVERSEER_DB_PASSWORD");
    }

    /**
     * SQL state class 08 is a connection exception, 57P03 a PostgreSQL still starting up; below the driver, a refused
     * or unroutable connection.
     */
    private static boolean unreachable(SQLException sql) {
        String state = sql.getSQLState() == null ? "" : sql.getSQLState();
        if (state.startsWith("08") || state.equals("57P03") || sql.getErrorCode() == H2_CONNECTION_BROKEN) {
            return true;
        }
        for (Throwable cause = sql.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException || cause instanceof NoRouteToHostException
                    || cause instanceof UnknownHostException) {
                return true;
            }
        }
        return false;
    }

    /** A driver's message may run over several lines; the operator gets one. */
    private static String oneLine(String text) {
        return String.valueOf(text).strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }

    private static StartupFailure configuration(String message) {
        return new StartupFailure(CONFIGURATION, message);
    }
}
