package dev.overseer.core.store;

import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.core.event.RunEvent;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.result.ResultIterator;

/**
 * The stored events of runs, kept in chunks (see {@code V7__run_event_chunks.sql}); writes go through
 * {@link EventWriter}.
 */
@Singleton
public final class EventStore {
    /** The column holds at most 1,000,000 characters. */
    static final int MAX_CHUNK_CHARS = 1_000_000;

    private final Jdbi jdbi;

    @Inject
    public EventStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** The run's events with {@code seq > afterSeq}, in order, at most {@code limit}. */
    public List<RunEvent> list(RunId run, ThreadId thread, int afterSeq, int limit) {
        return jdbi.withHandle(handle -> {
            List<RunEvent> events = new ArrayList<>();
            try (ResultIterator<Chunk> chunks = handle.createQuery("""
                            SELECT first_seq, body FROM run_event_chunks WHERE run_id = :run AND last_seq > :after
                            ORDER BY first_seq""")
                    .bind("run", run.value())
                    .bind("after", afterSeq)
                    .map((rs, ctx) -> new Chunk(rs.getInt("first_seq"), rs.getString("body")))
                    .iterator()) {
                while (chunks.hasNext() && events.size() < limit) {
                    Chunk chunk = chunks.next();
                    int seq = chunk.firstSeq();
                    for (int start = 0; start < chunk.body().length() && events.size() < limit; seq++) {
                        int end = chunk.body().indexOf('\n', start);
                        end = end < 0 ? chunk.body().length() : end;
                        if (seq > afterSeq) {
                            events.add(RunEvent.decode(run, thread, seq, chunk.body().substring(start, end)));
                        }
                        start = end + 1;
                    }
                }
            }
            return events;
        });
    }

    private record Chunk(int firstSeq, String body) {
    }

    /**
     * Inserts events on an open handle, in one JDBC batch: for each run, its consecutive events become one
     * chunk (a row holding them one per line), split where a chunk would pass {@link #MAX_CHUNK_CHARS}.
     */
    static void insert(Handle handle, List<RunEvent> events) {
        if (events.isEmpty()) {
            return;
        }
        Map<RunId, List<RunEvent>> byRun = new LinkedHashMap<>();
        for (RunEvent event : events) {
            byRun.computeIfAbsent(event.runId(), run -> new ArrayList<>()).add(event);
        }
        try (JdbcBatch batch = JdbcBatch.prepare(handle,
                "INSERT INTO run_event_chunks (run_id, first_seq, last_seq, body) VALUES (?, ?, ?, ?)")) {
            insertChunks(batch, byRun);
        }
    }

    private static void insertChunks(JdbcBatch batch, Map<RunId, List<RunEvent>> byRun) {
        StringBuilder body = new StringBuilder();
        for (List<RunEvent> run : byRun.values()) {
            RunEvent first = null;
            RunEvent last = null;
            for (RunEvent event : run) {
                boolean fits = body.length() + 1 + event.json().length() <= MAX_CHUNK_CHARS;
                if (first != null && (event.seq() != last.seq() + 1 || !fits)) {
                    addChunk(batch, first, last, body);
                    first = null;
                }
                if (first == null) {
                    first = event;
                    body.setLength(0);
                } else {
                    body.append('\n');
                }
                body.append(event.json());
                last = event;
            }
            addChunk(batch, first, last, body);
        }
        batch.execute();
    }

    private static void addChunk(JdbcBatch batch, RunEvent first, RunEvent last, StringBuilder body) {
        batch.set(first.runId().value())
                .set(first.seq())
                .set(last.seq())
                .set(body.toString())
                .add();
    }

    /** The highest seq stored for the run, 0 if none. */
    static int lastSeq(Handle handle, RunId run) {
        return handle.createQuery("SELECT COALESCE(MAX(last_seq), 0) FROM run_event_chunks WHERE run_id = :run")
                .bind("run", run.value())
                .mapTo(Integer.class)
                .one();
    }
}
