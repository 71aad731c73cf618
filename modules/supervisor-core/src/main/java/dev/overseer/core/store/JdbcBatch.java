package dev.overseer.core.store;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import org.jdbi.v3.core.Handle;

/**
 * A JDBC batch on a handle's connection with positional parameters, for the statements the event writer runs
 * for every run it stores. Jdbi's {@code PreparedBatch} keeps a map
 * of named bindings per row and looks up an argument factory for every value, which was a tenth of the
 * writer's time (docs/benchmarks.md); everything that is not on that path keeps Jdbi. Values are set in the
 * order of the statement's {@code ?}s, then {@link #add} ends the row.
 */
final class JdbcBatch implements AutoCloseable {
    private final String sql;
    private final PreparedStatement statement;
    private int parameter;

    private JdbcBatch(String sql, PreparedStatement statement) {
        this.sql = sql;
        this.statement = statement;
    }

    static JdbcBatch prepare(Handle handle, String sql) {
        try {
            return new JdbcBatch(sql, handle.getConnection().prepareStatement(sql));
        } catch (SQLException e) {
            throw new StoreException(sql, e);
        }
    }

    JdbcBatch set(String value) {
        try {
            statement.setString(++parameter, value);
        } catch (SQLException e) {
            throw new StoreException(sql, e);
        }
        return this;
    }

    JdbcBatch set(long value) {
        try {
            statement.setLong(++parameter, value);
        } catch (SQLException e) {
            throw new StoreException(sql, e);
        }
        return this;
    }

    JdbcBatch set(int value) {
        try {
            statement.setInt(++parameter, value);
        } catch (SQLException e) {
            throw new StoreException(sql, e);
        }
        return this;
    }

    /** A {@code BIGINT} that may be null. */
    JdbcBatch set(Long value) {
        return value == null ? setNull(Types.BIGINT) : set(value.longValue());
    }

    private JdbcBatch setNull(int type) {
        try {
            statement.setNull(++parameter, type);
        } catch (SQLException e) {
            throw new StoreException(sql, e);
        }
        return this;
    }

    /** Ends the row whose values were just set. */
    void add() {
        try {
            statement.addBatch();
        } catch (SQLException e) {
            throw new StoreException(sql, e);
        }
        parameter = 0;
    }

    /** Runs the rows added; returns the count of rows each changed. */
    int[] execute() {
        try {
            return statement.executeBatch();
        } catch (SQLException e) {
            throw new StoreException(sql, e);
        }
    }

    @Override
    public void close() {
        try {
            statement.close();
        } catch (SQLException e) {
            throw new StoreException(sql, e);
        }
    }
}
