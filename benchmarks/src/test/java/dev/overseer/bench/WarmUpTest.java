package dev.overseer.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The harness's warm-up: fixed seconds, or until the server's JIT is quiet, within bounds. */
class WarmUpTest {
    @Test
    void parse_acceptsAutoOrSeconds() {
        assertThat(WarmUp.parse("auto")).isEqualTo(WarmUp.AUTO);
        assertThat(WarmUp.parse("AUTO").auto()).isTrue();
        assertThat(WarmUp.parse("2.5")).isEqualTo(new WarmUp(Duration.ofMillis(2_500), Duration.ofMillis(2_500)));
        assertThat(WarmUp.parse("2.5").auto()).isFalse();
        assertThat(WarmUp.parse("30").toString()).isEqualTo("30.0 s");
        assertThatThrownBy(() -> WarmUp.parse("soon")).hasMessageContaining("auto or a number of seconds");
        assertThatThrownBy(() -> WarmUp.parse("-1")).hasMessageContaining("negative");
    }

    @Test
    void aFixedWarmUp_endsOnTime() throws Exception {
        long start = System.nanoTime();
        long open = WarmUp.parse("0.2").await(start, ProcessHandle.current().pid());
        assertThat(open - start).isGreaterThanOrEqualTo(Duration.ofMillis(200).toNanos());
    }

    @Test
    void anAutoWarmUp_waitsAtLeastItsMinimum_andAtMostAboutItsMaximum() throws Exception {
        WarmUp bounded = new WarmUp(Duration.ofMillis(300), Duration.ofSeconds(4));
        long start = System.nanoTime();
        long open = bounded.await(start, ProcessHandle.current().pid());
        assertThat(open - start).isGreaterThanOrEqualTo(Duration.ofMillis(300).toNanos())
                .isLessThan(Duration.ofSeconds(6).toNanos());
    }
}
