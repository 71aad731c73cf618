package dev.overseer.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequestIdTest {

    @Test
    void generate_carriesThePrefix() {
        assertThat(RequestId.generate().value()).startsWith("req_").hasSize("req_".length() + 26);
    }

    @Test
    void generate_manyIds_areUnique() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            ids.add(RequestId.generate().value());
        }

        assertThat(ids).hasSize(10_000);
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc-123", "7f1c2a9e-1b2c-4d5e-8f90-0123456789ab", "client request #4", "req_x"})
    void new_clientSuppliedXRequestId_isAcceptedWithoutPrefix(String header) {
        assertThat(new RequestId(header)).hasToString(header);
    }

    @Test
    void new_blank_isRejected() {
        assertThatThrownBy(() -> new RequestId("  "))
                .isInstanceOf(InvalidIdException.class)
                .hasMessage("request id is blank");
    }

    @Test
    void new_null_isRejected() {
        assertThatThrownBy(() -> new RequestId(null))
                .isInstanceOf(InvalidIdException.class)
                .hasMessage("request id is missing");
    }

    @Test
    void new_overLong_isRejected() {
        assertThatThrownBy(() -> new RequestId("r".repeat(129)))
                .isInstanceOf(InvalidIdException.class)
                .hasMessage("request id is longer than 128 characters");
    }

    @Test
    void new_headerInjection_isRejected() {
        assertThatThrownBy(() -> new RequestId("abc\r\nSet-Cookie: x=1"))
                .isInstanceOf(InvalidIdException.class)
                .hasMessage("request id contains a control character");
    }
}
