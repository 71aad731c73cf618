package dev.overseer.core.store;

import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import dev.overseer.core.model.TokenUsage;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;

/** Reads a {@code runs} row. */
final class RunMapper implements RowMapper<RunRecord> {
    @Override
    public RunRecord map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new RunRecord(
                new RunId(rs.getString("id")),
                new ThreadId(rs.getString("thread_id")),
                new UserId(rs.getString("user_id")),
                rs.getString("agent"),
                RunStatus.fromWire(rs.getString("status")),
                rs.getString("origin"),
                Rows.instant(rs, "created_at"),
                Rows.instant(rs, "started_at"),
                Rows.instant(rs, "finished_at"),
                rs.getString("output"),
                rs.getString("error_code"),
                rs.getString("error_message"),
                usage(rs));
    }

    private static TokenUsage usage(ResultSet rs) throws SQLException {
        long prompt = rs.getLong("prompt_tokens");
        if (rs.wasNull()) {
            return null;
        }
        return new TokenUsage(prompt, rs.getLong("completion_tokens"));
    }
}
