package dev.overseer.http.action;

import dev.overseer.context.RequestContext;
import dev.overseer.context.ThreadId;
import dev.overseer.core.store.InvalidCursorException;
import dev.overseer.core.store.MessageStore;
import dev.overseer.core.store.ThreadStore;
import dev.overseer.http.ApiAction;
import dev.overseer.http.ApiProblem;
import dev.overseer.http.ApiRequest;
import dev.overseer.http.ApiResponse;
import dev.overseer.http.Representations;
import jakarta.inject.Inject;

/** {@code GET /api/threads/{id}/messages}: oldest first. */
public final class ListMessagesAction implements ApiAction {
    public static final String NAME = "listMessages";

    private final RequestContext request;
    private final ThreadStore threads;
    private final MessageStore messages;

    @Inject
    ListMessagesAction(RequestContext request, ThreadStore threads, MessageStore messages) {
        this.request = request;
        this.threads = threads;
        this.messages = messages;
    }

    @Override
    public ApiResponse handle(ApiRequest http) throws ApiProblem {
        ThreadId thread = Paths.threadId(http);
        int limit = Limits.limit(http);
        if (threads.find(request.userId(), thread).isEmpty()) {
            throw ApiProblem.notFound("thread");
        }
        try {
            return ApiResponse.ok(Representations.page(messages.list(thread, http.query("cursor"), limit),
                    Representations::message));
        } catch (InvalidCursorException e) {
            throw Limits.invalidCursor(e);
        }
    }
}
