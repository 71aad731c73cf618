package dev.overseer.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UserIdTest {

    @ParameterizedTest
    @ValueSource(strings = {"alice", "alice@example.com", "auth0|5f7c8ec7c33c6c004bbafe82", "Zoë Ünal", "thr_x", "a"})
    void new_anyPrintableText_isAccepted(String sub) {
        assertThat(new UserId(sub).value()).isEqualTo(sub);
        assertThat(new UserId(sub)).hasToString(sub).isEqualTo(new UserId(sub));
    }

    @Test
    void new_null_isRejectedAsMissing() {
        assertThatThrownBy(() -> new UserId(null))
                .isInstanceOf(InvalidIdException.class)
                .hasMessage("user id is missing");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "\t  "})
    void new_blank_isRejected(String blank) {
        assertThatThrownBy(() -> new UserId(blank))
                .isInstanceOf(InvalidIdException.class)
                .hasMessage("user id is blank");
    }

    @Test
    void new_exactly128Characters_isAccepted() {
        assertThat(new UserId("u".repeat(128)).value()).hasSize(128);
    }

    @Test
    void new_overLong_isRejected() {
        assertThatThrownBy(() -> new UserId("u".repeat(129)))
                .isInstanceOf(InvalidIdException.class)
                .hasMessage("user id is longer than 128 characters");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ali\nce", "alice\r", "\u0000alice", "al\u001bice"})
    void new_controlCharacter_isRejected(String sub) {
        assertThatThrownBy(() -> new UserId(sub))
                .isInstanceOf(InvalidIdException.class)
                .hasMessage("user id contains a control character");
    }

    @Test
    void invalidIdException_isAnIllegalArgumentException() {
        assertThatThrownBy(() -> new UserId(" ")).isInstanceOf(IllegalArgumentException.class);
    }
}
