package dev.overseer.core.store;

import dev.overseer.context.RunId;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/** The HTTP response a keyed start got, so that a retry with the same key gets the same status and body. */
@Singleton
public final class IdempotentResponseStore {
    /** A stored response. */
    public record StoredResponse(int status, String body) {
    }

    private final Jdbi jdbi;

    @Inject
    public IdempotentResponseStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** Stores the first response for the run; later calls keep the first. */
    public void save(RunId run, int status, String body) {
        jdbi.useHandle(handle -> handle.createUpdate("""
                        INSERT INTO idempotent_responses (run_id, status, body)
                        SELECT :run, :status, :body FROM runs
                        WHERE id = :run AND NOT EXISTS (SELECT 1 FROM idempotent_responses WHERE run_id = :run)""")
                .bind("run", run.value())
                .bind("status", status)
                .bind("body", body)
                .execute());
    }

    public Optional<StoredResponse> find(RunId run) {
        return jdbi.withHandle(handle -> handle.createQuery(
                        "SELECT status, body FROM idempotent_responses WHERE run_id = :run")
                .bind("run", run.value())
                .map((rs, ctx) -> new StoredResponse(rs.getInt("status"), rs.getString("body")))
                .findOne());
    }
}
