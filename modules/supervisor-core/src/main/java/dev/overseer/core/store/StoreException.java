package dev.overseer.core.store;

import java.sql.SQLException;

/** A statement run on JDBC directly ({@link JdbcBatch}) failed; the cause is the driver's exception. */
public final class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StoreException(String sql, SQLException cause) {
        super(cause.getMessage() + " [statement: " + sql.strip().replaceAll("\\s+", " ") + "]", cause);
    }
}
