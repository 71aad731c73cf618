package dev.overseer.core.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/** Column readers shared by the row mappers. */
final class Rows {
    private Rows() {
    }

    static Instant instant(ResultSet rs, String column) throws SQLException {
        long millis = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(millis);
    }

    static Long millis(Instant instant) {
        return instant == null ? null : instant.toEpochMilli();
    }
}
