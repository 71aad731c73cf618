package dev.overseer.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class RequestContextTest {
    private static final Instant RECEIVED = Instant.parse("2026-11-28T10:00:00Z");
    private final RequestId requestId = RequestId.generate();
    private final Principal alice = new Principal(new UserId("alice"), RECEIVED.plusSeconds(3600));

    @Test
    void executionContext_carriesHttpOriginWithRequestId() {
        RequestContext request = new RequestContext(requestId, "POST", "/api/threads/x/runs", alice, "127.0.0.1",
                RECEIVED);
        ThreadId thread = ThreadId.generate();
        RunId run = RunId.generate();

        ExecutionContext execution = request.executionContext(thread, run);

        assertThat(execution.principal()).isEqualTo(alice);
        assertThat(execution.userId()).isEqualTo(new UserId("alice"));
        assertThat(execution.threadId()).isEqualTo(thread);
        assertThat(execution.runId()).isEqualTo(run);
        assertThat(execution.origin()).isEqualTo(new Origin.Http(requestId));
        assertThat(execution.origin().label()).isEqualTo("http");
    }

    @Test
    void userId_isThePrincipals() {
        RequestContext request = new RequestContext(requestId, "GET", "/api/threads", alice, "::1", RECEIVED);

        assertThat(request.userId()).isEqualTo(new UserId("alice"));
    }

    @Test
    void new_missingPart_isRejected() {
        assertThatThrownBy(() -> new RequestContext(null, "GET", "/", alice, "::1", RECEIVED)).hasMessage("requestId");
        assertThatThrownBy(() -> new RequestContext(requestId, null, "/", alice, "::1", RECEIVED)).hasMessage("method");
        assertThatThrownBy(() -> new RequestContext(requestId, "GET", null, alice, "::1", RECEIVED)).hasMessage("path");
        assertThatThrownBy(() -> new RequestContext(requestId, "GET", "/", null, "::1", RECEIVED))
                .hasMessage("principal");
        assertThatThrownBy(() -> new RequestContext(requestId, "GET", "/", alice, null, RECEIVED))
                .hasMessage("remoteAddress");
        assertThatThrownBy(() -> new RequestContext(requestId, "GET", "/", alice, "::1", null))
                .hasMessage("receivedAt");
    }
}
