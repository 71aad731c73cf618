package dev.overseer.http.action;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.context.RequestContext;
import dev.overseer.core.store.ApprovalStore;
import dev.overseer.core.store.RunRecord;
import dev.overseer.core.supervisor.RunService;
import dev.overseer.http.ApiAction;
import dev.overseer.http.ApiProblem;
import dev.overseer.http.ApiRequest;
import dev.overseer.http.ApiResponse;
import dev.overseer.http.JsonFields;
import dev.overseer.http.Representations;
import jakarta.inject.Inject;
import java.util.Set;

/**
 * {@code POST /api/runs/{id}/approvals} {@code {"tool_call_id","approved","reason"?}}: answers a tool call of the
 * caller's run that waits for approval, whichever node runs it; {@code 200} with the run, {@code 409}
 * {@code approval_not_pending} when that call is not waiting.
 */
public final class ApproveToolAction implements ApiAction {
    public static final String NAME = "approveTool";

    private final RequestContext request;
    private final RunService runs;

    @Inject
    ApproveToolAction(RequestContext request, RunService runs) {
        this.request = request;
        this.runs = runs;
    }

    @Override
    public ApiResponse handle(ApiRequest http) throws ApiProblem {
        var run = Paths.runId(http);
        ObjectNode body = http.jsonObject();
        JsonFields.allowOnly(body, Set.of("tool_call_id", "approved", "reason"));
        String toolCallId = JsonFields.requiredString(body, "tool_call_id", ApprovalStore.MAX_TOOL_CALL_ID);
        JsonNode approved = body.get("approved");
        if (approved == null || !approved.isBoolean()) {
            throw ApiProblem.badRequest("'approved' is required and must be true or false");
        }
        String reason = JsonFields.optionalString(body, "reason", ApprovalStore.MAX_REASON);
        RunRecord answered = runs.approve(request.userId(), run, toolCallId, approved.booleanValue(), reason);
        return ApiResponse.ok(Representations.run(answered, runs.pendingApproval(answered)));
    }
}
