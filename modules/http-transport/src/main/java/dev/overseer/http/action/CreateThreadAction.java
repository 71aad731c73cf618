package dev.overseer.http.action;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.context.RequestContext;
import dev.overseer.context.ThreadId;
import dev.overseer.core.json.Json;
import dev.overseer.core.store.ThreadRecord;
import dev.overseer.core.store.ThreadStore;
import dev.overseer.http.ApiAction;
import dev.overseer.http.ApiProblem;
import dev.overseer.http.ApiRequest;
import dev.overseer.http.ApiResponse;
import dev.overseer.http.JsonFields;
import dev.overseer.http.Representations;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Instant;
import java.util.Set;

/** {@code POST /api/threads}: creates a thread for the caller. */
public final class CreateThreadAction implements ApiAction {
    public static final String NAME = "createThread";
    static final int MAX_TITLE = 1000;
    static final int MAX_METADATA_CHARS = 16_384;

    private final RequestContext request;
    private final ThreadStore threads;
    private final Clock clock;

    @Inject
    CreateThreadAction(RequestContext request, ThreadStore threads, Clock clock) {
        this.request = request;
        this.threads = threads;
        this.clock = clock;
    }

    @Override
    public ApiResponse handle(ApiRequest http) throws ApiProblem {
        ObjectNode body = http.jsonObject();
        JsonFields.allowOnly(body, Set.of("title", "metadata"));
        String title = JsonFields.optionalString(body, "title", MAX_TITLE);
        String metadata = metadataJson(JsonFields.optionalObject(body, "metadata"));
        Instant now = clock.instant();
        ThreadRecord thread = new ThreadRecord(ThreadId.generate(), request.userId(), title, metadata, now, now);
        threads.insert(thread);
        return ApiResponse.created(Representations.thread(thread));
    }

    static String metadataJson(ObjectNode metadata) throws ApiProblem {
        String json = Json.write(metadata == null ? Json.object() : metadata);
        if (json.length() > MAX_METADATA_CHARS) {
            throw ApiProblem.badRequest("'metadata' is larger than " + MAX_METADATA_CHARS + " characters of JSON");
        }
        return json;
    }
}
