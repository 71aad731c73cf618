package dev.overseer.core.store;

import dev.overseer.context.MessageId;
import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;

/** Reads a {@code messages} row. */
final class MessageMapper implements RowMapper<MessageRecord> {
    @Override
    public MessageRecord map(ResultSet rs, StatementContext ctx) throws SQLException {
        String runId = rs.getString("run_id");
        return new MessageRecord(
                new MessageId(rs.getString("id")),
                new ThreadId(rs.getString("thread_id")),
                runId == null ? null : new RunId(runId),
                MessageRecord.Role.fromWire(rs.getString("role")),
                rs.getString("content"),
                Rows.instant(rs, "created_at"));
    }
}
