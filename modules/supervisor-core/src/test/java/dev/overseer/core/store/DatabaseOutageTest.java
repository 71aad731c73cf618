package dev.overseer.core.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.SQLTransientConnectionException;
import org.jdbi.v3.core.ConnectionException;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.junit.jupiter.api.Test;

class DatabaseOutageTest {
    @Test
    void aPoolThatGaveUpWaitingForAConnection_isAnOutage() {
        // What HikariCP throws after its connection timeout, as Jdbi wraps it.
        var hikari = new SQLTransientConnectionException("overseer-db - Connection is not available, request timed out");
        assertThat(DatabaseOutage.isCause(new ConnectionException(hikari))).isTrue();
    }

    @Test
    void connectionStatesAndServerShutdowns_areOutages() {
        for (String state : new String[] {"08001", "08006", "08003", "57P01", "57P02", "57P03", "53300"}) {
            var statement = new UnableToExecuteStatementException(new SQLException("lost", state), null);
            assertThat(DatabaseOutage.isCause(new IllegalStateException("wrapped", statement)))
                    .as(state).isTrue();
        }
    }

    @Test
    void otherFailures_areNot() {
        assertThat(DatabaseOutage.isCause(new UnableToExecuteStatementException(
                new SQLIntegrityConstraintViolationException("duplicate", "23505"), null))).isFalse();
        assertThat(DatabaseOutage.isCause(new SQLException("syntax", "42601"))).isFalse();
        assertThat(DatabaseOutage.isCause(new SQLException("no state"))).isFalse();
        assertThat(DatabaseOutage.isCause(new IllegalStateException("a bug"))).isFalse();
    }
}
