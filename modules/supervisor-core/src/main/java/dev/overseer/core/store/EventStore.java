package dev.overseer.core.store;

import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.core.event.RunEvent;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.List;
import org.jdbi.v3.core.Jdbi;

/** Reads the stored events of runs; writes go through {@link EventWriter}. */
@Singleton
public final class EventStore {
    private final Jdbi jdbi;

    @Inject
    public EventStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** The run's events with {@code seq > afterSeq}, in order, at most {@code limit}. */
    public List<RunEvent> list(RunId run, ThreadId thread, int afterSeq, int limit) {
        return jdbi.withHandle(handle -> handle.createQuery("""
                        SELECT seq, type, body FROM run_events WHERE run_id = :run AND seq > :after
                        ORDER BY seq LIMIT :limit""")
                .bind("run", run.value())
                .bind("after", afterSeq)
                .bind("limit", limit)
                .map((rs, ctx) -> {
                    String type = rs.getString("type");
                    return new RunEvent(run, thread, rs.getInt("seq"), type, RunEvent.isTerminalType(type),
                            rs.getString("body"));
                })
                .list());
    }
}
