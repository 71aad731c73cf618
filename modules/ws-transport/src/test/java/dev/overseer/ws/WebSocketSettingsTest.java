package dev.overseer.ws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Limits that could never work are refused when the transport is configured, not discovered under load. */
class WebSocketSettingsTest {
    private static final Duration HEARTBEAT = Duration.ofSeconds(25);
    private static final Duration IDLE = Duration.ofSeconds(75);

    @Test
    void impossibleLimits_areRefused() {
        assertThatThrownBy(() -> new WebSocketSettings(0, HEARTBEAT, IDLE, 10, 1024))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxMessageBytes must be positive");
        assertThatThrownBy(() -> new WebSocketSettings(1024, HEARTBEAT, IDLE, 0, 1024))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxConnectionsPerUser must be at least 1");
        assertThatThrownBy(() -> new WebSocketSettings(1024, HEARTBEAT, IDLE, 10, 1023))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the outbound queue must hold at least one message");
    }

    @Test
    void theSmallestWorkableLimits_areAccepted() {
        WebSocketSettings settings = new WebSocketSettings(1, HEARTBEAT, IDLE, 1, 1);

        assertThat(settings.maxMessageBytes()).isEqualTo(1);
        assertThat(settings.maxConnectionsPerUser()).isEqualTo(1);
        assertThat(settings.maxQueuedOutboundBytes()).isEqualTo(1);
    }
}
