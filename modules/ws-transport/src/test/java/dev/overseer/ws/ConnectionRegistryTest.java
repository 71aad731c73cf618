package dev.overseer.ws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overseer.context.UserId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** The open connections, counted per user against the connection limit, and nothing left once they close. */
class ConnectionRegistryTest {
    private final ConnectionRegistry registry = new ConnectionRegistry();

    @Test
    void register_admitsUpToTheLimitPerUser_andNoMore() {
        TestConnection first = TestConnection.of("alice");
        TestConnection second = TestConnection.of("alice");
        TestConnection third = TestConnection.of("alice");
        TestConnection bobs = TestConnection.of("bob");

        assertThat(registry.register(first, 2)).isTrue();
        assertThat(registry.register(second, 2)).isTrue();
        assertThat(registry.register(third, 2)).isFalse();
        assertThat(registry.register(bobs, 2)).isTrue();

        assertThat(registry.count(new UserId("alice"))).isEqualTo(2);
        assertThat(registry.count(new UserId("bob"))).isEqualTo(1);
        assertThat(registry.count(new UserId("carol"))).isZero();
        assertThat(registry.size()).isEqualTo(3);
        assertThat(registry.users()).isEqualTo(2);
        assertThat(registry.openContexts()).containsExactlyInAnyOrder(first.context(), second.context(), bobs.context());
        assertThat(registry.all()).containsExactlyInAnyOrder(first, second, bobs);
    }

    @Test
    void unregister_freesTheSlot_andForgetsUsersWithNoConnectionLeft() {
        TestConnection first = TestConnection.of("alice");
        TestConnection second = TestConnection.of("alice");
        registry.register(first, 2);
        registry.register(second, 2);

        registry.unregister(first);
        assertThat(registry.count(new UserId("alice"))).isEqualTo(1);
        assertThat(registry.register(TestConnection.of("alice"), 2)).isTrue();

        registry.all().forEach(registry::unregister);
        assertThat(registry.size()).isZero();
        assertThat(registry.users()).isZero();
        assertThat(registry.openContexts()).isEmpty();
    }

    @Test
    void unregister_ofAConnectionItDoesNotHold_changesNothing() {
        TestConnection admitted = TestConnection.of("alice");
        TestConnection refused = TestConnection.of("alice");
        registry.register(admitted, 1);
        registry.register(refused, 1);

        registry.unregister(refused);
        registry.unregister(admitted);
        registry.unregister(admitted);

        assertThat(registry.count(new UserId("alice"))).isZero();
        assertThat(registry.users()).isZero();
        assertThat(registry.register(TestConnection.of("alice"), 1)).isTrue();
    }

    @Test
    void register_racingForTheLastSlots_neverAdmitsMoreThanTheLimit() throws Exception {
        List<TestConnection> admitted = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 64; i++) {
                pool.submit(() -> {
                    TestConnection connection = TestConnection.of("alice");
                    start.await();
                    if (registry.register(connection, 5)) {
                        admitted.add(connection);
                    }
                    return null;
                });
            }
            start.countDown();
        }
        assertThat(admitted).hasSize(5);
        assertThat(registry.count(new UserId("alice"))).isEqualTo(5);
        assertThat(registry.size()).isEqualTo(5);
    }
}
