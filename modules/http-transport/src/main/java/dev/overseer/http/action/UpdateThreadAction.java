package dev.overseer.http.action;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.context.RequestContext;
import dev.overseer.core.store.ThreadStore;
import dev.overseer.http.ApiAction;
import dev.overseer.http.ApiProblem;
import dev.overseer.http.ApiRequest;
import dev.overseer.http.ApiResponse;
import dev.overseer.http.JsonFields;
import dev.overseer.http.Representations;
import jakarta.inject.Inject;
import java.time.Clock;
import java.util.Set;

/**
 * {@code PATCH /api/threads/{id}}: {@code title} (a string, or null to remove it) and/or {@code metadata}
 * (an object that replaces the old one). Fields left out are kept.
 */
public final class UpdateThreadAction implements ApiAction {
    public static final String NAME = "updateThread";

    private final RequestContext request;
    private final ThreadStore threads;
    private final Clock clock;

    @Inject
    UpdateThreadAction(RequestContext request, ThreadStore threads, Clock clock) {
        this.request = request;
        this.threads = threads;
        this.clock = clock;
    }

    @Override
    public ApiResponse handle(ApiRequest http) throws ApiProblem {
        var thread = Paths.threadId(http);
        ObjectNode body = http.jsonObject();
        JsonFields.allowOnly(body, Set.of("title", "metadata"));
        JsonNode titleNode = body.get("title");
        boolean clearTitle = titleNode != null && titleNode.isNull();
        String title = JsonFields.optionalString(body, "title", CreateThreadAction.MAX_TITLE);
        ObjectNode metadata = JsonFields.optionalObject(body, "metadata");
        if (body.has("metadata") && metadata == null) {
            throw ApiProblem.badRequest("'metadata' must be a JSON object, not null");
        }
        String metadataJson = metadata == null ? null : CreateThreadAction.metadataJson(metadata);
        return ApiResponse.ok(Representations.thread(threads.update(request.userId(), thread, title, clearTitle,
                        metadataJson, clock.millis())
                .orElseThrow(() -> ApiProblem.notFound("thread"))));
    }
}
