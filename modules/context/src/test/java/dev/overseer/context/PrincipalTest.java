package dev.overseer.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class PrincipalTest {
    private static final Instant EXPIRES = Instant.parse("2026-11-28T11:00:00Z");

    @Test
    void new_keepsUserAndExpiry() {
        Principal principal = new Principal(new UserId("alice"), EXPIRES);

        assertThat(principal.userId()).isEqualTo(new UserId("alice"));
        assertThat(principal.expiresAt()).isEqualTo(EXPIRES);
    }

    @Test
    void new_nullUser_isRejected() {
        assertThatThrownBy(() -> new Principal(null, EXPIRES))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("userId");
    }

    @Test
    void new_nullExpiry_isRejected() {
        assertThatThrownBy(() -> new Principal(new UserId("alice"), null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("expiresAt");
    }

    @Test
    void executionContext_userId_isThePrincipals() {
        Principal principal = new Principal(new UserId("alice"), EXPIRES);

        ExecutionContext context = new ExecutionContext(principal, ThreadId.generate(), RunId.generate(),
                new Origin.Http(RequestId.generate()));

        assertThat(context.userId()).isEqualTo(new UserId("alice"));
    }

    @Test
    void executionContext_missingPart_isRejected() {
        Principal principal = new Principal(new UserId("alice"), EXPIRES);
        ThreadId thread = ThreadId.generate();
        RunId run = RunId.generate();
        Origin origin = new Origin.Http(RequestId.generate());

        assertThatThrownBy(() -> new ExecutionContext(null, thread, run, origin)).hasMessage("principal");
        assertThatThrownBy(() -> new ExecutionContext(principal, null, run, origin)).hasMessage("threadId");
        assertThatThrownBy(() -> new ExecutionContext(principal, thread, null, origin)).hasMessage("runId");
        assertThatThrownBy(() -> new ExecutionContext(principal, thread, run, null)).hasMessage("origin");
    }

    @Test
    void origin_withoutItsId_isRejected() {
        assertThatThrownBy(() -> new Origin.WebSocket(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new Origin.Http(null)).isInstanceOf(NullPointerException.class);
    }
}
