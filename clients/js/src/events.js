/**
 * Run events (SPEC §4), typed as `GET /openapi.json` types them (`RunEvent`, a `oneOf` selected by
 * `type`). Narrow on `event.type` to get the payload's type. Clients must ignore types they do not
 * know: {@link UnknownRunEvent} stands for those.
 */

/**
 * @template {string} T
 * @template P
 * @typedef {object} EventEnvelope
 * @property {T} type
 * @property {string} run_id `run_…`
 * @property {string} thread_id `thr_…`
 * @property {number} seq from 1, growing by exactly 1 per run
 * @property {string} timestamp RFC 3339 UTC
 * @property {string} agent the agent that emitted the event: the run's agent, or a sub-agent
 * @property {P} payload
 */

/** @typedef {{parent_agent: string | null}} AgentStartedPayload */
/** @typedef {{text: string}} AgentThinkingPayload */
/** @typedef {{text: string}} AgentMessageDeltaPayload */
/** @typedef {{tool_call_id: string, tool: string, arguments: unknown}} ToolExecutingPayload */
/** @typedef {{tool_call_id: string, progress: number, total: number | null, message: string | null}} ToolProgressPayload */
/** @typedef {{tool_call_id: string, tool: string, result: unknown, duration_ms: number, error: string | null}} ToolCompletedPayload */
/** @typedef {{tool_call_id: string, tool: string, arguments: unknown, expires_at: string}} ApprovalRequestedPayload */
/** @typedef {{tool_call_id: string, approved: boolean, reason: string | null, by: 'user' | 'timeout'}} ApprovalResolvedPayload */
/** @typedef {{output: string}} AgentCompletedPayload */
/** @typedef {{code: string, message: string}} AgentErrorPayload */
/** @typedef {{output: string, usage?: {prompt_tokens: number, completion_tokens: number}}} RunCompletedPayload */
/** @typedef {{code: string, message: string}} RunFailedPayload */
/** @typedef {Record<string, never>} RunCancelledPayload */

/** @typedef {EventEnvelope<'agent_started', AgentStartedPayload>} AgentStartedEvent */
/** @typedef {EventEnvelope<'agent_thinking', AgentThinkingPayload>} AgentThinkingEvent */
/** @typedef {EventEnvelope<'agent_message_delta', AgentMessageDeltaPayload>} AgentMessageDeltaEvent */
/** @typedef {EventEnvelope<'tool_executing', ToolExecutingPayload>} ToolExecutingEvent */
/** @typedef {EventEnvelope<'tool_progress', ToolProgressPayload>} ToolProgressEvent */
/** @typedef {EventEnvelope<'tool_completed', ToolCompletedPayload>} ToolCompletedEvent */
/** @typedef {EventEnvelope<'approval_requested', ApprovalRequestedPayload>} ApprovalRequestedEvent */
/** @typedef {EventEnvelope<'approval_resolved', ApprovalResolvedPayload>} ApprovalResolvedEvent */
/** @typedef {EventEnvelope<'agent_completed', AgentCompletedPayload>} AgentCompletedEvent */
/** @typedef {EventEnvelope<'agent_error', AgentErrorPayload>} AgentErrorEvent */
/** @typedef {EventEnvelope<'run_completed', RunCompletedPayload>} RunCompletedEvent */
/** @typedef {EventEnvelope<'run_failed', RunFailedPayload>} RunFailedEvent */
/** @typedef {EventEnvelope<'run_cancelled', RunCancelledPayload>} RunCancelledEvent */

/**
 * An event of a type this version of the client does not know (the server may add types).
 * @typedef {EventEnvelope<string, Record<string, unknown>>} UnknownRunEvent
 */

/** @typedef {RunCompletedEvent | RunFailedEvent | RunCancelledEvent} TerminalEvent */

/**
 * Every known run event: a discriminated union on `type`.
 * @typedef {AgentStartedEvent | AgentThinkingEvent | AgentMessageDeltaEvent | ToolExecutingEvent
 *   | ToolProgressEvent | ToolCompletedEvent | ApprovalRequestedEvent | ApprovalResolvedEvent
 *   | AgentCompletedEvent | AgentErrorEvent | TerminalEvent} RunEvent
 */

/** The types that end a run; exactly one of them is a run's last event. */
export const TERMINAL_EVENT_TYPES = Object.freeze(['run_completed', 'run_failed', 'run_cancelled']);

/**
 * @param {{type: string}} event
 * @returns {event is TerminalEvent}
 */
export function isTerminalEvent(event) {
  return TERMINAL_EVENT_TYPES.includes(event.type);
}

/**
 * Whether a server frame is a run event (it has the envelope), as opposed to a control frame.
 * @param {any} frame
 * @returns {frame is RunEvent}
 */
export function isRunEvent(frame) {
  return frame !== null && typeof frame === 'object' && typeof frame.type === 'string'
    && typeof frame.run_id === 'string' && typeof frame.seq === 'number';
}
