package dev.overseer.core.store;

import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;

/** Reads a {@code threads} row. */
final class ThreadMapper implements RowMapper<ThreadRecord> {
    @Override
    public ThreadRecord map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new ThreadRecord(
                new ThreadId(rs.getString("id")),
                new UserId(rs.getString("user_id")),
                rs.getString("title"),
                rs.getString("metadata"),
                Rows.instant(rs, "created_at"),
                Rows.instant(rs, "updated_at"));
    }
}
