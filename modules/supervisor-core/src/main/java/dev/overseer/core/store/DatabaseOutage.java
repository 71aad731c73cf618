package dev.overseer.core.store;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Set;
import org.jdbi.v3.core.ConnectionException;

/**
 * Tells a failure because the database cannot be reached (down, restarting, refusing connections) from any
 * other. Such a failure is the caller's to retry: transports answer it {@code unavailable} with a retry
 * delay instead of {@code internal}, and the event writer keeps what it holds until the database is back.
 */
public final class DatabaseOutage {
    /** What callers are told to wait before trying again. */
    public static final Duration RETRY_AFTER = Duration.ofSeconds(2);
    /** What callers are told. */
    public static final String MESSAGE = "the database cannot be reached; try again later";

    /**
     * SQLSTATEs of an unreachable server: class 08 (connection exception), PostgreSQL's admin, crash and
     * cannot-connect-now shutdowns (57P01-57P03), and too many connections (53300).
     */
    private static final Set<String> STATES = Set.of("57P01", "57P02", "57P03", "53300");

    private DatabaseOutage() {
    }

    /** Whether {@code failure}, or anything in its chain of causes, says the database cannot be reached. */
    public static boolean isCause(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ConnectionException || t instanceof SQLTransientConnectionException
                    || t instanceof SQLNonTransientConnectionException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || STATES.contains(sql.getSQLState()))) {
                return true;
            }
        }
        return false;
    }
}
