import { OverseerError, problemFrom } from './errors.js';
import { isRunEvent, isTerminalEvent } from './events.js';
import { Run } from './run.js';
import { backoffDelay } from './backoff.js';
import { randomId } from './ids.js';
import { RunsApi, ThreadsApi } from './http.js';

/** @typedef {import('./events.js').RunEvent} RunEvent */
/** @typedef {import('./events.js').ApprovalResolvedEvent} ApprovalResolvedEvent */
/** @typedef {import('./backoff.js').BackoffOptions} BackoffOptions */
/** @typedef {import('./http.js').RequestOptions} RequestOptions */

/**
 * A token, or a function (possibly async) that returns one; the function is called at every
 * connect and every HTTP request, so it can hand out refreshed tokens.
 * @typedef {string | (() => string | Promise<string>)} TokenSource
 */

/**
 * The WebSocket constructor to use: the browser's, Node 22's global one, or the `ws` package's.
 * @typedef {new (url: string, protocols?: string | string[]) => WebSocket} WebSocketConstructor
 */

/**
 * @typedef {object} OverseerClientOptions
 * @property {string} [url] the server's base URL, `http(s)://host[:port][/prefix]`; in a browser it
 *   defaults to the page's origin. The WebSocket goes to `ws(s)://…/ws`.
 * @property {TokenSource} token
 * @property {WebSocketConstructor} [WebSocket] required where there is no global WebSocket (Node 20)
 * @property {typeof fetch} [fetch] defaults to the global fetch
 * @property {BackoffOptions | false} [reconnect] reconnection backoff; `false` never reconnects
 */

/** @typedef {'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed'} ConnectionState */

/**
 * The server's first frame.
 * @typedef {object} ConnectionInfo
 * @property {string} connection_id
 * @property {string} user_id
 * @property {string} protocol
 * @property {number} heartbeat_seconds
 * @property {number} max_message_bytes
 * @property {string} server_time
 */

/**
 * @typedef {object} StartRunOptions
 * @property {string} content the user's message (non-blank)
 * @property {string} [threadId] one of the caller's threads; without it the server creates one
 * @property {string} [agent] default `supervisor`
 * @property {string} [requestId] the idempotency key; a fresh UUID when absent
 */

/**
 * @typedef {object} ClientEvents
 * @property {(state: ConnectionState, detail: {attempt: number, delayMs?: number, closeCode?: number, reason?: string}) => void} state
 * @property {(error: OverseerError) => void} error a fatal error: the client is closed
 * @property {(info: ConnectionInfo) => void} connection every (re)connection, with the server's first frame
 * @property {(direction: 'in' | 'out', frame: Record<string, unknown>) => void} frame every frame handed to the
 *   socket (`out`) or parsed from it (`in`), as it goes over the wire: for developer tools and logs
 */

const RETRYABLE_START_CODES = new Set(['rate_limited', 'unavailable']);
const MAX_START_RETRIES = 5;
const DEFAULT_MAX_MESSAGE_BYTES = 65536;
const encoder = new TextEncoder();

/**
 * The Overseer client: the WebSocket protocol `overseer.v1` (runs as async iterables, cancel,
 * approve, subscribe, ping, reconnection that resumes every unfinished run) and the HTTP API
 * (`client.threads`, `client.runs`). One client holds at most one WebSocket.
 */
export class OverseerClient {
  /** @type {string} */
  #httpBase;
  /** @type {string} */
  #wsUrl;
  /** @type {TokenSource} */
  #token;
  /** @type {WebSocketConstructor | undefined} */
  #WebSocket;
  /** @type {typeof fetch} */
  #fetch;
  /** @type {{baseMs: number, maxMs: number, maxAttempts: number} | null} */
  #backoff;

  /** @type {ConnectionState} */
  #state = 'idle';
  /** @type {WebSocket | null} */
  #socket = null;
  /** @type {ConnectionInfo | null} */
  #info = null;
  #generation = 0;
  #attempt = 0;
  #authFailures = 0;
  /** @type {ReturnType<typeof setTimeout> | null} */
  #reconnectTimer = null;
  /** @type {{resolve: (info: ConnectionInfo) => void, reject: (error: OverseerError) => void}[]} */
  #connectWaiters = [];
  /** @type {{[K in keyof ClientEvents]: Set<ClientEvents[K]>}} */
  #listeners = { state: new Set(), error: new Set(), connection: new Set(), frame: new Set() };

  /** @type {Map<string, Run>} every run followed, by run id */
  #runs = new Map();
  /** @type {Map<string, {run: Run, frame: Record<string, unknown>, retries: number, timer: ReturnType<typeof setTimeout> | null}>} starts without run_accepted yet, by request id */
  #starts = new Map();
  /** @type {Map<string, {resolve: () => void, reject: (error: OverseerError) => void}>} subscribe frames awaiting their barrier pong, by request id */
  #subscribeAnswers = new Map();
  /** @type {Map<string, Set<(run: Run) => void>>} */
  #subscriptions = new Map();
  /** @type {Map<string, Record<string, unknown>>} cancel_run frames by run id, resent until the run ends */
  #cancels = new Map();
  /** @type {Map<string, {run: Run, toolCallId: string, frame: Record<string, unknown>, sends: number, resolve: (event: ApprovalResolvedEvent) => void, reject: (error: OverseerError) => void}>} by request id */
  #approvals = new Map();
  /** @type {{resolve: (pong: {server_time: string}) => void, reject: (error: OverseerError) => void}[]} */
  #pings = [];

  /** @param {OverseerClientOptions} options */
  constructor(options) {
    const base = options.url ?? globalThis.location?.origin;
    if (!base) throw new OverseerError('invalid_argument', 'url is required outside a browser page');
    const url = new URL(base);
    if (url.protocol === 'ws:' || url.protocol === 'wss:') url.protocol = url.protocol === 'ws:' ? 'http:' : 'https:';
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new OverseerError('invalid_argument', `url must be http(s): ${base}`);
    }
    this.#httpBase = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    this.#wsUrl = `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}${url.pathname.replace(/\/+$/, '')}/ws`;
    if (options.token === undefined || options.token === null || options.token === '') {
      throw new OverseerError('invalid_argument', 'token is required: a JWT or a function returning one');
    }
    this.#token = options.token;
    this.#WebSocket = options.WebSocket ?? /** @type {WebSocketConstructor | undefined} */ (globalThis.WebSocket);
    const fetchImpl = options.fetch ?? globalThis.fetch;
    this.#fetch = (input, init) => fetchImpl(input, init);
    this.#backoff = options.reconnect === false ? null : {
      baseMs: options.reconnect?.baseMs ?? 250,
      maxMs: options.reconnect?.maxMs ?? 30000,
      maxAttempts: options.reconnect?.maxAttempts ?? Number.POSITIVE_INFINITY,
    };
    const request = (/** @type {RequestOptions} */ r) => this.#request(r);
    /** The HTTP API's threads and messages. */
    this.threads = new ThreadsApi(request);
    /** The HTTP API's runs and their events. */
    this.runs = new RunsApi(request, this.#backoff ?? { baseMs: 250, maxMs: 30000, maxAttempts: 0 });
  }

  /** @returns {ConnectionState} */
  get state() { return this.#state; }

  /** @returns {ConnectionInfo | null} the current connection's first frame, while open */
  get connection() { return this.#state === 'open' ? this.#info : null; }

  /**
   * Listens to `state` changes, fatal `error`s, each new `connection`, or every `frame` in and out.
   * @template {keyof ClientEvents} K
   * @param {K} name
   * @param {ClientEvents[K]} listener
   * @returns {() => void} removes the listener
   */
  on(name, listener) {
    const set = /** @type {Set<ClientEvents[K]>} */ (this.#listeners[name]);
    if (!set) throw new OverseerError('invalid_argument', `unknown event '${String(name)}'`);
    set.add(listener);
    return () => { set.delete(listener); };
  }

  /**
   * Opens the WebSocket (if it is not already) and settles once the server's first frame arrived.
   * Rejects with an {@link OverseerError} on a fatal failure (a bad token: `unauthorized`).
   * @returns {Promise<ConnectionInfo>}
   */
  connect() {
    if (this.#state === 'open' && this.#info) return Promise.resolve(this.#info);
    const waiting = new Promise((resolve, reject) => { this.#connectWaiters.push({ resolve, reject }); });
    if (this.#state === 'idle' || this.#state === 'closed') {
      this.#attempt = 0;
      this.#authFailures = 0;
      void this.#open();
    }
    return /** @type {Promise<ConnectionInfo>} */ (waiting);
  }

  /**
   * Starts a run over the WebSocket. The returned {@link Run} yields every event of the run once,
   * in order, across reconnections. A start whose answer was lost is resent with the same
   * `request_id`, which the server answers with the run it already started.
   * @param {StartRunOptions} options
   * @returns {Run}
   */
  startRun(options) {
    const requestId = options.requestId ?? randomId();
    const run = new Run(this.#controller, { requestId });
    if (typeof options.content !== 'string' || options.content.trim() === '') {
      run._fail(new OverseerError('invalid_argument', 'content must be a non-blank string'));
      return run;
    }
    /** @type {Record<string, unknown>} */
    const frame = { type: 'start_agent', content: options.content, request_id: requestId };
    if (options.threadId !== undefined) frame.thread_id = options.threadId;
    if (options.agent !== undefined) frame.agent = options.agent;
    const tooLarge = this.#tooLarge(frame);
    if (tooLarge) {
      run._fail(tooLarge);
      return run;
    }
    this.#starts.set(requestId, { run, frame, retries: 0, timer: null });
    this.#sendOrConnect(frame);
    return run;
  }

  /**
   * Follows a run already started (by this or another client, over either transport): every
   * event after `afterSeq`, then live ones until its terminal event.
   * @param {string} runId
   * @param {{afterSeq?: number, threadId?: string}} [options]
   * @returns {Run}
   */
  resumeRun(runId, options = {}) {
    const existing = this.#runs.get(runId);
    if (existing) return existing;
    this.#finishedRunIds.delete(runId);
    const run = new Run(this.#controller, { runId, threadId: options.threadId ?? null });
    const afterSeq = options.afterSeq ?? 0;
    if (afterSeq > 0) {
      // The caller has these already; the run's own events start after them.
      run._skipTo(afterSeq);
    }
    this.#runs.set(runId, run);
    const requestId = randomId();
    this.#resumeRequests.set(requestId, runId);
    this.#sendOrConnect({ type: 'resume', run_id: runId, after_seq: afterSeq, request_id: requestId });
    return run;
  }

  /**
   * Receives every later run on a thread that this client did not start itself (another tab, the
   * HTTP API, another node), as a {@link Run} from its first event. Re-sent after each reconnect.
   * @param {string} threadId
   * @param {(run: Run) => void} onRun
   * @returns {Promise<() => void>} settles once the server has taken the subscription
   *   (rejects `not_found` for a thread that is not the caller's); the function stops calling `onRun`
   */
  async subscribe(threadId, onRun) {
    let handlers = this.#subscriptions.get(threadId);
    const first = handlers === undefined;
    if (!handlers) {
      handlers = new Set();
      this.#subscriptions.set(threadId, handlers);
    }
    handlers.add(onRun);
    const unsubscribe = () => {
      const current = this.#subscriptions.get(threadId);
      current?.delete(onRun);
    };
    if (!first) return unsubscribe;
    const requestId = randomId();
    const answered = new Promise((resolve, reject) => {
      this.#subscribeAnswers.set(requestId, { resolve: () => resolve(undefined), reject });
    });
    await this.connect();
    this.#send({ type: 'subscribe', thread_id: threadId, request_id: requestId });
    // Frames are handled in order on one outbox: a pong after the subscribe means it was taken.
    this.ping().then(() => this.#subscribeAnswers.get(requestId)?.resolve(), () => {});
    try {
      await answered;
    } catch (error) {
      if (this.#subscriptions.get(threadId) === handlers) this.#subscriptions.delete(threadId);
      throw error;
    } finally {
      this.#subscribeAnswers.delete(requestId);
    }
    return unsubscribe;
  }

  /**
   * Sends `ping`; settles with the server's `pong`.
   * @returns {Promise<{server_time: string}>}
   */
  async ping() {
    await this.connect();
    return new Promise((resolve, reject) => {
      this.#pings.push({ resolve, reject });
      if (!this.#send({ type: 'ping' })) {
        this.#pings.pop();
        reject(new OverseerError('connection_lost', 'the connection dropped before the ping was sent'));
      }
    });
  }

  /**
   * Closes the WebSocket for good: unfinished runs reject with `connection_closed` (they go on on
   * the server; follow them again with {@link OverseerClient#resumeRun} from another client).
   */
  close() {
    this.#userClosed = true;
    this.#shutdown(new OverseerError('connection_closed', 'the client was closed'), 1000);
  }

  // ---- internals ----

  #userClosed = false;

  /** @type {import('./run.js').RunController} */
  #controller = {
    cancelRun: (run) => this.#cancelRun(run),
    approveTool: (run, toolCallId, approved, reason) => this.#approveTool(run, toolCallId, approved, reason),
  };

  /** @param {Run} run */
  async #cancelRun(run) {
    if (run.finished) {
      await run.done.then(() => {}, () => {});
      return;
    }
    const { runId } = await run.accepted;
    if (!run.finished && !this.#cancels.has(runId)) {
      const frame = { type: 'cancel_run', run_id: runId, request_id: randomId() };
      this.#cancels.set(runId, frame);
      this.#sendOrConnect(frame);
    }
    await run.done.then(() => {}, (error) => { if (!(error instanceof OverseerError && error.code === 'connection_closed')) throw error; });
  }

  /**
   * @param {Run} run
   * @param {string} toolCallId
   * @param {boolean} approved
   * @param {string} [reason]
   * @returns {Promise<ApprovalResolvedEvent>}
   */
  async #approveTool(run, toolCallId, approved, reason) {
    if (typeof approved !== 'boolean') throw new OverseerError('invalid_argument', 'approved must be a boolean');
    const { runId } = await run.accepted;
    const resolved = findResolved(run, toolCallId);
    if (resolved) {
      throw new OverseerError('approval_not_pending', `tool call '${toolCallId}' of this run is not waiting for approval`);
    }
    if (run.finished) throw new OverseerError('run_not_active', 'the run has already finished');
    const requestId = randomId();
    /** @type {Record<string, unknown>} */
    const frame = { type: 'approve_tool', run_id: runId, tool_call_id: toolCallId, approved, request_id: requestId };
    if (reason !== undefined) frame.reason = reason;
    return new Promise((resolve, reject) => {
      this.#approvals.set(requestId, { run, toolCallId, frame, sends: 0, resolve, reject });
      this.#sendOrConnect(frame);
    });
  }

  /** @param {Record<string, unknown>} frame */
  #sendOrConnect(frame) {
    if (this.#state === 'open') {
      this.#send(frame);
    } else if (this.#state === 'idle' || (this.#state === 'closed' && !this.#reconnectTimer)) {
      this.connect().catch(() => {});
    }
    // Otherwise the frame goes out with everything pending once the connection is open.
  }

  /**
   * @param {Record<string, unknown>} frame
   * @returns {boolean} whether it was handed to the socket
   */
  #send(frame) {
    if (this.#state !== 'open' || !this.#socket) return false;
    if (frame.type === 'approve_tool') {
      for (const pending of this.#approvals.values()) if (pending.frame === frame) pending.sends += 1;
    }
    try {
      this.#socket.send(JSON.stringify(frame));
      this.#emitFrame('out', frame);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * @param {Record<string, unknown>} frame
   * @returns {OverseerError | null}
   */
  #tooLarge(frame) {
    const limit = this.#info?.max_message_bytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const size = encoder.encode(JSON.stringify(frame)).length;
    return size > limit
      ? new OverseerError('message_too_large', `the frame would be ${size} bytes; the server takes at most ${limit}`)
      : null;
  }

  /** @returns {Promise<string>} */
  async #currentToken() {
    /** @type {unknown} */
    let token;
    try {
      token = typeof this.#token === 'function' ? await this.#token() : this.#token;
    } catch (cause) {
      throw new OverseerError('token_error', `the token function failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    if (typeof token !== 'string' || token.trim() === '') {
      throw new OverseerError('token_error', 'the token function must return a non-empty string');
    }
    return token.trim();
  }

  /**
   * @param {ConnectionState} state
   * @param {{attempt: number, delayMs?: number, closeCode?: number, reason?: string}} detail
   */
  #setState(state, detail = { attempt: this.#attempt }) {
    if (this.#state === state) return;
    this.#state = state;
    for (const listener of [...this.#listeners.state]) {
      try { listener(state, detail); } catch { /* a listener's failure is not the connection's */ }
    }
  }

  async #open() {
    const generation = ++this.#generation;
    this.#reconnectTimer = null;
    this.#userClosed = false;
    this.#setState(this.#attempt === 0 ? 'connecting' : 'reconnecting', { attempt: this.#attempt });
    const WebSocketImpl = this.#WebSocket;
    if (!WebSocketImpl) {
      this.#fatal(new OverseerError('no_websocket', 'there is no global WebSocket here: pass one, e.g. new OverseerClient({url, token, WebSocket}) with WebSocket from the ws package'));
      return;
    }
    /** @type {string} */
    let token;
    try {
      token = await this.#currentToken();
    } catch (error) {
      if (generation === this.#generation) this.#fatal(/** @type {OverseerError} */ (error));
      return;
    }
    if (generation !== this.#generation) return;
    /** @type {WebSocket} */
    let socket;
    try {
      socket = new WebSocketImpl(this.#wsUrl, ['overseer.v1', `bearer.${token}`]);
    } catch (cause) {
      this.#fatal(new OverseerError('connection_failed', `cannot open ${this.#wsUrl}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause }));
      return;
    }
    this.#socket = socket;
    let established = false;
    socket.onmessage = (message) => {
      if (generation !== this.#generation) return;
      if (typeof message.data !== 'string') return;
      /** @type {any} */
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      if (frame === null || typeof frame !== 'object') return;
      this.#emitFrame('in', frame);
      if (frame.type === 'connection_established') {
        established = true;
        this.#onEstablished(frame);
      } else {
        this.#onFrame(frame);
      }
    };
    let gone = false;
    /** @param {number} code @param {string} reason */
    const onGone = (code, reason) => {
      if (gone || generation !== this.#generation) return;
      gone = true;
      this.#socket = null;
      void this.#onClose(code, reason, established, token, generation);
    };
    // Some WebSocket implementations (Node 20's) report a refused upgrade with an error and never a close.
    socket.onerror = () => {
      if (socket.readyState === 0) {
        onGone(1006, '');
        try { socket.close(); } catch { /* never opened */ }
      }
    };
    socket.onclose = (close) => onGone(close.code, close.reason);
  }

  /** @param {ConnectionInfo} info */
  #onEstablished(info) {
    this.#info = info;
    this.#attempt = 0;
    this.#authFailures = 0;
    this.#setState('open', { attempt: 0 });
    for (const listener of [...this.#listeners.connection]) {
      try { listener(info); } catch { /* ignored */ }
    }
    // Everything that was waiting for a connection, in the order the server needs it.
    for (const threadId of this.#subscriptions.keys()) {
      this.#send({ type: 'subscribe', thread_id: threadId, request_id: randomId() });
    }
    for (const run of this.#runs.values()) {
      if (!run.finished && run.runId) {
        let requestId = randomId();
        for (const [id, runId] of this.#resumeRequests) if (runId === run.runId) requestId = id;
        this.#send({ type: 'resume', run_id: run.runId, after_seq: run.lastSeq, request_id: requestId });
      }
    }
    for (const start of this.#starts.values()) {
      if (!start.timer) this.#send(start.frame);
    }
    for (const frame of this.#cancels.values()) this.#send(frame);
    for (const approval of this.#approvals.values()) this.#send(approval.frame);
    const waiters = this.#connectWaiters.splice(0);
    for (const waiter of waiters) waiter.resolve(info);
  }

  /** @param {any} frame */
  #onFrame(frame) {
    if (isRunEvent(frame)) {
      this.#onRunEvent(frame);
      return;
    }
    switch (frame.type) {
      case 'run_accepted': {
        const start = this.#starts.get(frame.request_id);
        if (!start) return;
        this.#starts.delete(frame.request_id);
        start.run._accept(frame.run_id, frame.thread_id);
        this.#runs.set(frame.run_id, start.run);
        return;
      }
      case 'pong': {
        this.#pings.shift()?.resolve({ server_time: frame.server_time });
        return;
      }
      case 'error': {
        this.#onErrorFrame(frame);
        return;
      }
      default:
        // Unknown frame types are ignored (the protocol may grow).
    }
  }

  /** @param {any} frame */
  #onErrorFrame(frame) {
    const requestId = typeof frame.request_id === 'string' ? frame.request_id : null;
    const error = new OverseerError(String(frame.code), String(frame.message ?? frame.code), {
      requestId, retryAfterMs: typeof frame.retry_after_ms === 'number' ? frame.retry_after_ms : undefined,
    });
    if (requestId === null) return;
    const start = this.#starts.get(requestId);
    if (start) {
      if (RETRYABLE_START_CODES.has(error.code) && start.retries < MAX_START_RETRIES) {
        start.retries += 1;
        start.timer = setTimeout(() => {
          start.timer = null;
          if (this.#starts.get(requestId) === start) this.#send(start.frame);
        }, error.retryAfterMs ?? 1000);
        return;
      }
      this.#starts.delete(requestId);
      start.run._fail(error);
      return;
    }
    const subscribe = this.#subscribeAnswers.get(requestId);
    if (subscribe) {
      subscribe.reject(error);
      return;
    }
    const approval = this.#approvals.get(requestId);
    if (approval) {
      const resolved = findResolved(approval.run, approval.toolCallId);
      if (resolved) {
        this.#approvals.delete(requestId);
        approval.resolve(resolved);
      } else if (error.code === 'approval_not_pending' && approval.sends > 1) {
        // A resend after a reconnect: the first one may have been taken; its approval_resolved is replayed by resume.
      } else {
        this.#approvals.delete(requestId);
        approval.reject(error);
      }
      return;
    }
    for (const [runId, cancel] of this.#cancels) {
      if (cancel.request_id === requestId) {
        // run_not_active: it is ending anyway, and the terminal event comes to this connection.
        if (error.code !== 'run_not_active') {
          this.#cancels.delete(runId);
          this.#runs.get(runId)?._fail(error);
        }
        return;
      }
    }
    const resumedRunId = this.#resumeRequests.get(requestId);
    if (resumedRunId !== undefined) {
      // A resume of a run the server does not know for this user (resumeRun of a bad or foreign id).
      this.#resumeRequests.delete(requestId);
      const run = this.#runs.get(resumedRunId);
      this.#runs.delete(resumedRunId);
      run?._fail(error);
    }
  }

  /** @type {Map<string, string>} */
  #resumeRequests = new Map();

  /** @type {Set<string>} */
  #finishedRunIds = new Set();

  /** @param {RunEvent} event */
  #onRunEvent(event) {
    let run = this.#runs.get(event.run_id);
    if (!run) {
      if (this.#finishedRunIds.has(event.run_id)) return;
      const handlers = this.#subscriptions.get(event.thread_id);
      if (!handlers || handlers.size === 0) return;
      run = new Run(this.#controller, { runId: event.run_id, threadId: event.thread_id });
      this.#runs.set(event.run_id, run);
      for (const handler of [...handlers]) {
        try { handler(run); } catch { /* the subscriber's failure is its own */ }
      }
    }
    for (const delivered of run._deliver(event)) {
      if (delivered.type === 'approval_resolved') {
        for (const [requestId, approval] of this.#approvals) {
          if (approval.run === run && approval.toolCallId === delivered.payload.tool_call_id) {
            this.#approvals.delete(requestId);
            approval.resolve(delivered);
          }
        }
      }
      if (isTerminalEvent(delivered)) {
        this.#cancels.delete(delivered.run_id);
        // Let the Run go, but remember its id: a late replay of it (a subscription's) must not look like a new run.
        this.#runs.delete(delivered.run_id);
        this.#finishedRunIds.add(delivered.run_id);
        for (const [id, runId] of this.#resumeRequests) if (runId === delivered.run_id) this.#resumeRequests.delete(id);
        for (const [requestId, approval] of this.#approvals) {
          if (approval.run === run) {
            this.#approvals.delete(requestId);
            approval.reject(new OverseerError('approval_not_pending', `the run ended before tool call '${approval.toolCallId}' was answered`));
          }
        }
      }
    }
  }

  /**
   * @param {number} code
   * @param {string} reason
   * @param {boolean} established
   * @param {string} token the token this connection offered
   * @param {number} generation
   */
  async #onClose(code, reason, established, token, generation) {
    this.#rejectPings();
    if (this.#userClosed) return;
    if (!established) {
      // A refused upgrade looks like a 1006 to a browser: ask the HTTP API whether the token is the reason.
      const refusal = await this.#probeToken(token);
      if (generation !== this.#generation || this.#userClosed) return;
      if (refusal) {
        this.#authFailure(refusal);
        return;
      }
    } else if (code === 1008 && /token|auth/i.test(reason)) {
      this.#authFailure(new OverseerError('unauthorized', `the server closed the connection: ${reason}`, { closeCode: code, status: 401 }));
      return;
    } else if (code === 1003 || code === 1009 || (code >= 4000 && code <= 4999)) {
      this.#fatal(new OverseerError('connection_closed', `the server closed the connection with ${code}${reason ? ` (${reason})` : ''}`, { closeCode: code }));
      return;
    }
    this.#scheduleReconnect(code, reason);
  }

  /**
   * @param {string} token
   * @returns {Promise<OverseerError | null>} the 401 problem when the token is refused
   */
  async #probeToken(token) {
    try {
      const response = await this.#fetch(`${this.#httpBase}/api/threads?limit=1`, { headers: { Authorization: `Bearer ${token}` } });
      if (response.status === 401) {
        const problem = await problemFrom(response);
        return new OverseerError('unauthorized', `the server refused the token: ${problem.detail}`, { status: 401, detail: problem.detail });
      }
      await response.body?.cancel();
    } catch {
      // The server cannot be reached at all: that is for the backoff.
    }
    return null;
  }

  /** @param {OverseerError} error */
  #authFailure(error) {
    this.#authFailures += 1;
    // A function may hand out a fresh token: try once more at once; a fixed token will not get better.
    if (typeof this.#token === 'function' && this.#authFailures < 2) {
      this.#attempt += 1;
      this.#setState('reconnecting', { attempt: this.#attempt, delayMs: 0, closeCode: error.closeCode, reason: error.detail });
      void this.#open();
      return;
    }
    this.#fatal(error);
  }

  /**
   * @param {number} code
   * @param {string} reason
   */
  #scheduleReconnect(code, reason) {
    if (!this.#backoff) {
      this.#fatal(new OverseerError('connection_closed', `the connection closed with ${code}${reason ? ` (${reason})` : ''} and reconnect is off`, { closeCode: code }));
      return;
    }
    if (this.#attempt >= this.#backoff.maxAttempts) {
      this.#fatal(new OverseerError('connection_failed', `gave up reconnecting after ${this.#attempt} attempts (last close ${code})`, { closeCode: code }));
      return;
    }
    // A 1013 (we read too slowly) loses nothing by coming back at once.
    const delayMs = code === 1013 && this.#attempt === 0 ? 0 : backoffDelay(this.#attempt, this.#backoff);
    this.#attempt += 1;
    this.#setState('reconnecting', { attempt: this.#attempt, delayMs, closeCode: code, reason });
    this.#reconnectTimer = setTimeout(() => { void this.#open(); }, delayMs);
  }

  #rejectPings() {
    for (const ping of this.#pings.splice(0)) {
      ping.reject(new OverseerError('connection_lost', 'the connection dropped before the pong arrived'));
    }
  }

  /** @param {'in' | 'out'} direction @param {Record<string, unknown>} frame */
  #emitFrame(direction, frame) {
    // Every frame passes here: without a listener (the usual case) it costs a size check.
    if (this.#listeners.frame.size === 0) return;
    for (const listener of [...this.#listeners.frame]) {
      try { listener(direction, frame); } catch { /* ignored */ }
    }
  }

  /** @param {OverseerError} error */
  #fatal(error) {
    this.#shutdown(error, 1000);
    for (const listener of [...this.#listeners.error]) {
      try { listener(error); } catch { /* ignored */ }
    }
  }

  /**
   * @param {OverseerError} error
   * @param {number} code
   */
  #shutdown(error, code) {
    this.#generation += 1;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    const socket = this.#socket;
    this.#socket = null;
    if (socket) {
      try { socket.close(code); } catch { /* already closing */ }
    }
    this.#rejectPings();
    for (const start of this.#starts.values()) {
      if (start.timer) clearTimeout(start.timer);
      start.run._fail(error);
    }
    this.#starts.clear();
    for (const run of this.#runs.values()) run._fail(error);
    this.#runs.clear();
    for (const approval of this.#approvals.values()) approval.reject(error);
    this.#approvals.clear();
    this.#cancels.clear();
    for (const answer of this.#subscribeAnswers.values()) answer.reject(error);
    this.#subscriptions.clear();
    for (const waiter of this.#connectWaiters.splice(0)) waiter.reject(error);
    this.#info = null;
    this.#setState('closed', { attempt: this.#attempt, closeCode: code });
  }

  /**
   * @param {RequestOptions} options
   * @returns {Promise<Response>}
   */
  async #request(options) {
    const token = await this.#currentToken();
    const url = new URL(`${this.#httpBase}${options.path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    /** @type {Record<string, string>} */
    const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json', ...options.headers };
    /** @type {RequestInit} */
    const init = { method: options.method, headers, signal: options.signal };
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    const response = await this.#fetch(url, init);
    if (!response.ok) throw await problemFrom(response);
    return response;
  }
}

/**
 * @param {Run} run
 * @param {string} toolCallId
 * @returns {ApprovalResolvedEvent | undefined}
 */
function findResolved(run, toolCallId) {
  return /** @type {ApprovalResolvedEvent | undefined} */ (run.events.find(
    (event) => event.type === 'approval_resolved' && event.payload.tool_call_id === toolCallId,
  ));
}
