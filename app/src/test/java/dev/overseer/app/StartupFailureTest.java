package dev.overseer.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.BindException;
import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import org.junit.jupiter.api.Test;

class StartupFailureTest {
    @Test
    void refusedConnectionUnderAPoolError_isAnUnreachableDatabase_exitCode3() {
        SQLException refused = new SQLNonTransientConnectionException("Connection to 127.0.0.1:1 refused.", "08001",
                new ConnectException("Connection refused"));

        StartupFailure failure = StartupFailure.of(new RuntimeException("Failed to initialize pool", refused)).orElseThrow();

        assertThat(failure.exitCode()).isEqualTo(3);
        assertThat(failure.message()).startsWith("OVERSEER_DB_URL: the database does not answer (Connection to "
                + "127.0.0.1:1 refused.)").contains("start it");
    }

    @Test
    void wrongPassword_isConfiguration_exitCode2() {
        SQLException denied = new SQLException("password authentication failed for user \"x\"", "28P01");

        StartupFailure failure = StartupFailure.of(new RuntimeException(denied)).orElseThrow();

        assertThat(failure.exitCode()).isEqualTo(2);
        assertThat(failure.message()).contains("OVERSEER_DB_URL: cannot use the database (password authentication")
                .contains("OVERSEER_DB_PASSWORD");
    }

    @Test
    void h2FileInUse_isConfiguration_exitCode2() {
        SQLException inUse = new SQLException("Database may be already in use", "90020", 90020);

        StartupFailure failure = StartupFailure.of(new IllegalStateException(inUse)).orElseThrow();

        assertThat(failure.exitCode()).isEqualTo(2);
        assertThat(failure.message()).contains("in use by another process");
    }

    @Test
    void takenPort_isConfiguration_namingHostAndPort() {
        StartupFailure failure = StartupFailure.of(new RuntimeException(new BindException("Address already in use")))
                .orElseThrow();

        assertThat(failure.exitCode()).isEqualTo(2);
        assertThat(failure.message()).startsWith("OVERSEER_HOST/OVERSEER_PORT: cannot listen there (Address already in use)");
    }

    @Test
    void aDriverMessageOverSeveralLines_isToldInOne() {
        SQLException multiLine = new SQLException("FATAL: no such database\n  Hint: create it\r\n", "3D000");

        assertThat(StartupFailure.of(multiLine).orElseThrow().message())
                .isEqualTo("OVERSEER_DB_URL: cannot use the database (FATAL: no such database Hint: create it); "
                        + "check OVERSEER_DB_URL, OVERSEER_DB_USER and OVERSEER_DB_PASSWORD");
    }

    @Test
    void aFailureWithNothingOfTheEnvironmentInIt_isNone_soItKeepsItsStackTrace() {
        assertThat(StartupFailure.of(new IllegalStateException("a bug", new NullPointerException()))).isEmpty();
    }
}
