package dev.overseer.core.store;

import dev.overseer.context.UserId;
import java.sql.SQLException;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

/**
 * The users' admission locks (ADR 0020, 0022): a user's row in {@code run_admission_locks}, held until the
 * transaction ends, by every admission of the user's runs and by the deletion of the user's threads, on every
 * node. Under it, what the user's active runs are cannot change but for runs ending.
 */
final class AdmissionLocks {
    private static final String UNIQUE_VIOLATION = "23505";

    private AdmissionLocks() {
    }

    /**
     * Takes the users' locks in the users' order, so that two transactions never wait for each other in a circle;
     * a user's first admission makes its row.
     */
    static void lock(Handle handle, Collection<UserId> users) {
        List<UserId> sorted = users.stream().distinct().sorted(Comparator.comparing(UserId::value)).toList();
        int[] locked;
        try (JdbcBatch lock = JdbcBatch.prepare(handle,
                "UPDATE run_admission_locks SET user_id = user_id WHERE user_id = ?")) {
            sorted.forEach(user -> lock.set(user.value()).add());
            locked = lock.execute();
        }
        for (int i = 0; i < sorted.size(); i++) {
            if (locked[i] == 0) {
                create(handle, sorted.get(i));
            }
        }
    }

    /** Makes the user's lock row, or waits for the lock of another transaction that made it first. */
    private static void create(Handle handle, UserId user) {
        handle.savepoint("admission_lock");
        try {
            handle.createUpdate("INSERT INTO run_admission_locks (user_id) VALUES (:user)")
                    .bind("user", user.value())
                    .execute();
            handle.release("admission_lock");
        } catch (UnableToExecuteStatementException e) {
            if (!(e.getCause() instanceof SQLException sql && UNIQUE_VIOLATION.equals(sql.getSQLState()))) {
                throw e;
            }
            handle.rollbackToSavepoint("admission_lock");
            handle.createUpdate("UPDATE run_admission_locks SET user_id = user_id WHERE user_id = :user")
                    .bind("user", user.value())
                    .execute();
        }
    }
}
