package dev.overseer.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The writer's plain JDBC batches: values in order, nulls, counts per row, failures named. */
class JdbcBatchTest {
    private final Database database = InMemoryDatabases.open("batch", new SimpleMeterRegistry());

    @AfterEach
    void close() {
        InMemoryDatabases.close(database);
    }

    @Test
    void rowsAreInsertedWithTheirValuesInOrder_nullsIncluded_andEachRowsCountIsReturned() {
        List<Map<String, Object>> rows = database.jdbi().withHandle(handle -> {
            handle.execute("CREATE TABLE t (s VARCHAR(10), l BIGINT, i INTEGER)");
            try (JdbcBatch batch = JdbcBatch.prepare(handle, "INSERT INTO t (s, l, i) VALUES (?, ?, ?)")) {
                batch.set("a").set(1L).set(2).add();
                batch.set((String) null).set((Long) null).set(5).add();
                batch.set("c").set(Long.valueOf(3)).set(4).add();
                assertThat(batch.execute()).containsExactly(1, 1, 1);
            }
            try (JdbcBatch update = JdbcBatch.prepare(handle, "UPDATE t SET i = 9 WHERE s = ?")) {
                update.set("a").add();
                update.set("nobody").add();
                assertThat(update.execute()).containsExactly(1, 0);
            }
            return handle.createQuery("SELECT s, l, i FROM t ORDER BY s NULLS FIRST").mapToMap().list();
        });
        assertThat(rows).extracting(row -> row.get("s"), row -> row.get("l"), row -> row.get("i"))
                .containsExactly(
                        tuple(null, null, 5),
                        tuple("a", 1L, 9),
                        tuple("c", 3L, 4));
    }

    @Test
    void aFailingStatement_throwsAStoreExceptionNamingTheStatement_withTheDriversCause() {
        database.jdbi().useHandle(handle -> {
            handle.execute("CREATE TABLE u (id INTEGER PRIMARY KEY)");
            try (JdbcBatch batch = JdbcBatch.prepare(handle, "INSERT INTO u (id)\n    VALUES (?)")) {
                batch.set(1).add();
                batch.set(1).add();
                assertThatThrownBy(batch::execute)
                        .isInstanceOf(StoreException.class)
                        .hasMessageContaining("[statement: INSERT INTO u (id) VALUES (?)]")
                        .hasCauseInstanceOf(SQLException.class);
            }
            assertThatThrownBy(() -> JdbcBatch.prepare(handle, "INSERT INTO missing VALUES (?)"))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("MISSING");
        });
    }
}
