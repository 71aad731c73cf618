/**
 * @overseer/client: the JavaScript client of Overseer for browsers and Node >= 20.
 * Plain ES modules with relative imports only, so browsers can load them as they are.
 */
export { OverseerClient } from './client.js';
export { Run } from './run.js';
export { OverseerError } from './errors.js';
export { ThreadsApi, RunsApi } from './http.js';
export { parseSse } from './sse.js';
export { backoffDelay } from './backoff.js';
export { TERMINAL_EVENT_TYPES, isTerminalEvent, isRunEvent } from './events.js';

/**
 * @typedef {import('./events.js').RunEvent} RunEvent
 * @typedef {import('./events.js').UnknownRunEvent} UnknownRunEvent
 * @typedef {import('./events.js').TerminalEvent} TerminalEvent
 * @typedef {import('./events.js').AgentStartedEvent} AgentStartedEvent
 * @typedef {import('./events.js').AgentThinkingEvent} AgentThinkingEvent
 * @typedef {import('./events.js').AgentMessageDeltaEvent} AgentMessageDeltaEvent
 * @typedef {import('./events.js').ToolExecutingEvent} ToolExecutingEvent
 * @typedef {import('./events.js').ToolProgressEvent} ToolProgressEvent
 * @typedef {import('./events.js').ToolCompletedEvent} ToolCompletedEvent
 * @typedef {import('./events.js').ApprovalRequestedEvent} ApprovalRequestedEvent
 * @typedef {import('./events.js').ApprovalResolvedEvent} ApprovalResolvedEvent
 * @typedef {import('./events.js').AgentCompletedEvent} AgentCompletedEvent
 * @typedef {import('./events.js').AgentErrorEvent} AgentErrorEvent
 * @typedef {import('./events.js').RunCompletedEvent} RunCompletedEvent
 * @typedef {import('./events.js').RunFailedEvent} RunFailedEvent
 * @typedef {import('./events.js').RunCancelledEvent} RunCancelledEvent
 * @typedef {import('./client.js').OverseerClientOptions} OverseerClientOptions
 * @typedef {import('./client.js').StartRunOptions} StartRunOptions
 * @typedef {import('./client.js').ConnectionState} ConnectionState
 * @typedef {import('./client.js').ConnectionInfo} ConnectionInfo
 * @typedef {import('./client.js').TokenSource} TokenSource
 * @typedef {import('./http.js').Thread} Thread
 * @typedef {import('./http.js').Message} Message
 * @typedef {import('./http.js').RunInfo} RunInfo
 */
