import { OverseerError } from './errors.js';
import { isTerminalEvent } from './events.js';
import { parseSse } from './sse.js';
import { backoffDelay } from './backoff.js';

/** @typedef {import('./events.js').RunEvent} RunEvent */

/**
 * @typedef {object} Thread
 * @property {string} id
 * @property {string | null} title
 * @property {Record<string, unknown>} metadata
 * @property {string} created_at
 * @property {string} updated_at
 */

/**
 * @typedef {object} Message
 * @property {string} id
 * @property {string} thread_id
 * @property {string | null} run_id
 * @property {'user' | 'assistant'} role
 * @property {string} content
 * @property {string} created_at
 */

/**
 * @typedef {object} PendingApproval
 * @property {string} tool_call_id
 * @property {string} tool
 * @property {Record<string, unknown>} arguments
 * @property {string} requested_at
 * @property {string} expires_at
 */

/**
 * @typedef {object} RunInfo a run as the HTTP API returns it
 * @property {string} id
 * @property {string} thread_id
 * @property {string} agent
 * @property {'queued' | 'running' | 'requires_action' | 'completed' | 'failed' | 'cancelled'} status
 * @property {'http' | 'websocket'} origin
 * @property {string} created_at
 * @property {string | null} started_at
 * @property {string | null} finished_at
 * @property {string | null} output
 * @property {{code: string, message: string} | null} error
 * @property {{prompt_tokens: number, completion_tokens: number} | null} usage
 * @property {PendingApproval | null} pending_approval
 */

/**
 * @template T
 * @typedef {{data: T[], next_cursor: string | null}} Page
 */

/**
 * @typedef {object} RequestOptions
 * @property {string} method
 * @property {string} path
 * @property {Record<string, string | number | boolean | undefined | null>} [query]
 * @property {unknown} [body]
 * @property {Record<string, string>} [headers]
 * @property {AbortSignal} [signal]
 */

/**
 * The transport the HTTP API is built on: sends a request with a fresh token, answers the Response
 * when it is 2xx and throws the problem as an {@link OverseerError} otherwise.
 * @typedef {(options: RequestOptions) => Promise<Response>} Requester
 */

/**
 * @param {Response} response
 * @returns {Promise<any>}
 */
async function json(response) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new OverseerError('invalid_response', `the server answered ${response.status} with a body that is not JSON`, { status: response.status, cause });
  }
}

/**
 * @template T
 * @param {(cursor: string | null) => Promise<Page<T>>} fetchPage
 * @returns {AsyncGenerator<T, void, undefined>}
 */
async function* pages(fetchPage) {
  /** @type {string | null} */
  let cursor = null;
  do {
    const page = await fetchPage(cursor);
    yield* page.data;
    cursor = page.next_cursor;
  } while (cursor !== null);
}

/** Threads: `POST/GET /api/threads`, `GET/PATCH/DELETE /api/threads/{id}`, `GET /api/threads/{id}/messages`. */
export class ThreadsApi {
  #request;

  /** @param {Requester} request */
  constructor(request) {
    this.#request = request;
  }

  /**
   * @param {{title?: string | null, metadata?: Record<string, unknown>}} [input]
   * @returns {Promise<Thread>}
   */
  async create(input = {}) {
    return json(await this.#request({ method: 'POST', path: '/api/threads', body: input }));
  }

  /**
   * One page of the caller's threads, most recently updated first.
   * @param {{limit?: number, cursor?: string | null}} [options]
   * @returns {Promise<Page<Thread>>}
   */
  async listPage(options = {}) {
    return json(await this.#request({ method: 'GET', path: '/api/threads', query: { limit: options.limit, cursor: options.cursor } }));
  }

  /**
   * Every thread of the caller, page after page (`limit` is the page size).
   * @param {{limit?: number}} [options]
   * @returns {AsyncGenerator<Thread, void, undefined>}
   */
  list(options = {}) {
    return pages((cursor) => this.listPage({ limit: options.limit, cursor }));
  }

  /**
   * @param {string} threadId
   * @returns {Promise<Thread>}
   */
  async get(threadId) {
    return json(await this.#request({ method: 'GET', path: `/api/threads/${encodeURIComponent(threadId)}` }));
  }

  /**
   * Retitles and/or re-tags; fields left out are kept, `title: null` removes the title.
   * @param {string} threadId
   * @param {{title?: string | null, metadata?: Record<string, unknown>}} changes
   * @returns {Promise<Thread>}
   */
  async update(threadId, changes) {
    return json(await this.#request({ method: 'PATCH', path: `/api/threads/${encodeURIComponent(threadId)}`, body: changes }));
  }

  /**
   * Deletes the thread with its messages, runs and events (`409 thread_busy` while a run is active).
   * @param {string} threadId
   * @returns {Promise<void>}
   */
  async delete(threadId) {
    const response = await this.#request({ method: 'DELETE', path: `/api/threads/${encodeURIComponent(threadId)}` });
    await response.body?.cancel();
  }

  /**
   * @param {string} threadId
   * @param {{limit?: number, cursor?: string | null}} [options]
   * @returns {Promise<Page<Message>>}
   */
  async messagesPage(threadId, options = {}) {
    return json(await this.#request({ method: 'GET', path: `/api/threads/${encodeURIComponent(threadId)}/messages`, query: { limit: options.limit, cursor: options.cursor } }));
  }

  /**
   * Every message of the thread, oldest first.
   * @param {string} threadId
   * @param {{limit?: number}} [options]
   * @returns {AsyncGenerator<Message, void, undefined>}
   */
  messages(threadId, options = {}) {
    return pages((cursor) => this.messagesPage(threadId, { limit: options.limit, cursor }));
  }
}

/**
 * @typedef {object} RunStartOptions
 * @property {string} content the user's message
 * @property {string} [agent] default `supervisor`
 * @property {string} [idempotencyKey] sent as `Idempotency-Key`: a retry with the same key starts nothing
 * @property {AbortSignal} [signal]
 */

/**
 * @typedef {object} EventStreamOptions
 * @property {number} [after] start after this `seq` (sent as `Last-Event-ID`), default 0
 * @property {AbortSignal} [signal]
 */

/** Runs: start (`wait`, SSE), read, events (JSON and SSE with resume), cancel, approvals. */
export class RunsApi {
  #request;
  #backoff;

  /**
   * @param {Requester} request
   * @param {{baseMs: number, maxMs: number, maxAttempts: number}} backoff how a dropped event stream is resumed
   */
  constructor(request, backoff) {
    this.#request = request;
    this.#backoff = backoff;
  }

  /**
   * Starts a run. Without `wait` the answer is the run as admitted (`202`); with `wait: true` the
   * finished run (`200`; a run still going after the server's five minutes comes back unfinished).
   * @param {string} threadId
   * @param {RunStartOptions & {wait?: boolean}} options
   * @returns {Promise<RunInfo>}
   */
  async create(threadId, options) {
    return json(await this.#request({
      method: 'POST',
      path: `/api/threads/${encodeURIComponent(threadId)}/runs`,
      query: { wait: options.wait ? 'true' : undefined },
      body: runInput(options),
      headers: options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : {},
      signal: options.signal,
    }));
  }

  /**
   * Starts a run and streams its events (SSE), ending with the terminal event. If the stream drops
   * after the first event, it goes on from the last `seq` seen with {@link RunsApi#streamEvents}.
   * @param {string} threadId
   * @param {RunStartOptions} options
   * @returns {AsyncGenerator<RunEvent, void, undefined>}
   */
  async* stream(threadId, options) {
    const response = await this.#request({
      method: 'POST',
      path: `/api/threads/${encodeURIComponent(threadId)}/runs`,
      body: runInput(options),
      headers: { Accept: 'text/event-stream', ...(options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : {}) },
      signal: options.signal,
    });
    /** @type {RunEvent | null} */
    let last = null;
    try {
      for await (const event of sseEvents(response)) {
        last = event;
        yield event;
        if (isTerminalEvent(event)) return;
      }
    } catch (error) {
      if (last === null || options.signal?.aborted) throw error;
    }
    if (last === null) {
      throw new OverseerError('connection_failed', 'the run\'s event stream ended before its first event');
    }
    yield* this.streamEvents(last.run_id, { after: last.seq, signal: options.signal });
  }

  /**
   * @param {string} runId
   * @returns {Promise<RunInfo>}
   */
  async get(runId) {
    return json(await this.#request({ method: 'GET', path: `/api/runs/${encodeURIComponent(runId)}` }));
  }

  /**
   * One page of a run's stored events (`?after=&limit=`).
   * @param {string} runId
   * @param {{after?: number, limit?: number}} [options]
   * @returns {Promise<Page<RunEvent>>}
   */
  async eventsPage(runId, options = {}) {
    return json(await this.#request({ method: 'GET', path: `/api/runs/${encodeURIComponent(runId)}/events`, query: { after: options.after, limit: options.limit } }));
  }

  /**
   * Every stored event of the run after `after` (all pages), as the server sent them live.
   * @param {string} runId
   * @param {{after?: number}} [options]
   * @returns {Promise<RunEvent[]>}
   */
  async events(runId, options = {}) {
    /** @type {RunEvent[]} */
    const all = [];
    let after = options.after ?? 0;
    for (;;) {
      const page = await this.eventsPage(runId, { after });
      all.push(...page.data);
      if (page.next_cursor === null) return all;
      after = Number(page.next_cursor);
    }
  }

  /**
   * The run's events as SSE: stored ones after `after`, then live ones until the terminal event.
   * A dropped stream is reopened with `Last-Event-ID` (backoff with full jitter), so each event is
   * yielded exactly once, in order.
   * @param {string} runId
   * @param {EventStreamOptions} [options]
   * @returns {AsyncGenerator<RunEvent, void, undefined>}
   */
  async* streamEvents(runId, options = {}) {
    let lastSeq = options.after ?? 0;
    let failures = 0;
    for (;;) {
      /** @type {unknown} */
      let failure = null;
      try {
        const response = await this.#request({
          method: 'GET',
          path: `/api/runs/${encodeURIComponent(runId)}/events`,
          headers: { Accept: 'text/event-stream', ...(lastSeq > 0 ? { 'Last-Event-ID': String(lastSeq) } : {}) },
          signal: options.signal,
        });
        for await (const event of sseEvents(response)) {
          if (event.seq <= lastSeq) continue;
          lastSeq = event.seq;
          failures = 0;
          yield event;
          if (isTerminalEvent(event)) return;
        }
      } catch (error) {
        if (options.signal?.aborted) throw error;
        if (error instanceof OverseerError && error.status !== undefined && error.status !== 503) throw error;
        failure = error;
      }
      failures += 1;
      if (failures > this.#backoff.maxAttempts) {
        throw new OverseerError('connection_failed', `the event stream of ${runId} could not be resumed`, { cause: failure });
      }
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(failures - 1, this.#backoff)));
    }
  }

  /**
   * Cancels a run (`409 run_not_active` when it has finished).
   * @param {string} runId
   * @returns {Promise<RunInfo>} the run at that moment (usually still `running`)
   */
  async cancel(runId) {
    return json(await this.#request({ method: 'POST', path: `/api/runs/${encodeURIComponent(runId)}/cancel` }));
  }

  /**
   * Answers a tool call waiting for approval (`409 approval_not_pending` when it is not waiting).
   * @param {string} runId
   * @param {string} toolCallId
   * @param {boolean} approved
   * @param {string} [reason]
   * @returns {Promise<RunInfo>}
   */
  async approve(runId, toolCallId, approved, reason) {
    /** @type {Record<string, unknown>} */
    const body = { tool_call_id: toolCallId, approved };
    if (reason !== undefined) body.reason = reason;
    return json(await this.#request({ method: 'POST', path: `/api/runs/${encodeURIComponent(runId)}/approvals`, body }));
  }
}

/**
 * @param {RunStartOptions} options
 * @returns {Record<string, unknown>}
 */
function runInput(options) {
  /** @type {Record<string, unknown>} */
  const body = { content: options.content };
  if (options.agent !== undefined) body.agent = options.agent;
  return body;
}

/**
 * @param {Response} response
 * @returns {AsyncGenerator<RunEvent, void, undefined>}
 */
async function* sseEvents(response) {
  if (!response.body) throw new OverseerError('invalid_response', 'the event stream has no body', { status: response.status });
  for await (const message of parseSse(response.body)) {
    /** @type {any} */
    let event;
    try {
      event = JSON.parse(message.data);
    } catch (cause) {
      throw new OverseerError('invalid_response', `an event of the stream is not JSON: ${message.data.slice(0, 100)}`, { cause });
    }
    yield event;
  }
}
