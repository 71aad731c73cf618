import { OverseerError } from './errors.js';
import { isTerminalEvent } from './events.js';

/** @typedef {import('./events.js').RunEvent} RunEvent */
/** @typedef {import('./events.js').TerminalEvent} TerminalEvent */
/** @typedef {import('./events.js').ApprovalResolvedEvent} ApprovalResolvedEvent */

/**
 * What a Run asks of the client that owns it.
 * @typedef {object} RunController
 * @property {(run: Run) => Promise<void>} cancelRun
 * @property {(run: Run, toolCallId: string, approved: boolean, reason?: string) => Promise<ApprovalResolvedEvent>} approveTool
 */

/**
 * One run followed over the WebSocket: an async iterable of its events (each exactly once, in `seq`
 * order, ending with the terminal event), whatever reconnections happen underneath.
 *
 * Every iteration starts from the run's first event the client has seen, so several consumers may
 * iterate the same run. `done` settles with the terminal event, or rejects with an
 * {@link OverseerError} when the run could not be started or the client stopped following it.
 * @implements {AsyncIterable<RunEvent>}
 */
export class Run {
  /** @type {RunController} */
  #controller;
  /** @type {string | null} */
  #runId;
  /** @type {string | null} */
  #threadId;
  /** @type {RunEvent[]} */
  #events = [];
  /** @type {number} the seq the caller already had when it began following (resumeRun's afterSeq) */
  #baseSeq = 0;
  /** @type {Map<number, RunEvent>} events that arrived ahead of a missing one */
  #ahead = new Map();
  /** @type {Set<() => void>} */
  #wakeups = new Set();
  /** @type {OverseerError | null} */
  #failure = null;
  /** @type {TerminalEvent | null} */
  #terminal = null;
  /** @type {(value: {runId: string, threadId: string}) => void} */
  #resolveAccepted = () => {};
  /** @type {(error: OverseerError) => void} */
  #rejectAccepted = () => {};
  /** @type {(event: TerminalEvent) => void} */
  #resolveDone = () => {};
  /** @type {(error: OverseerError) => void} */
  #rejectDone = () => {};

  /**
   * @param {RunController} controller
   * @param {{requestId?: string | null, runId?: string | null, threadId?: string | null}} ids
   */
  constructor(controller, ids) {
    this.#controller = controller;
    /** @type {string | null} the `request_id` of the start (`null` for runs the client did not start) */
    this.requestId = ids.requestId ?? null;
    this.#runId = ids.runId ?? null;
    this.#threadId = ids.threadId ?? null;
    /** @type {Promise<{runId: string, threadId: string}>} settles once the server has accepted the run */
    this.accepted = new Promise((resolve, reject) => {
      this.#resolveAccepted = resolve;
      this.#rejectAccepted = reject;
    });
    /** @type {Promise<TerminalEvent>} the terminal event */
    this.done = new Promise((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    // Nobody has to await these: a failure also reaches iterators, and must not be an unhandled rejection.
    this.accepted.catch(() => {});
    this.done.catch(() => {});
    if (this.#runId !== null && this.#threadId !== null) {
      this.#resolveAccepted({ runId: this.#runId, threadId: this.#threadId });
    }
  }

  /** @returns {string | null} `run_…`, once accepted */
  get runId() { return this.#runId; }

  /** @returns {string | null} `thr_…`, once accepted */
  get threadId() { return this.#threadId; }

  /** @returns {number} the highest `seq` delivered so far (0 before the first event) */
  get lastSeq() { return this.#events.length === 0 ? this.#baseSeq : this.#events[this.#events.length - 1].seq; }

  /** @returns {boolean} whether the terminal event was delivered, or the run failed to be followed */
  get finished() { return this.#terminal !== null || this.#failure !== null; }

  /** @returns {readonly RunEvent[]} the events delivered so far, in order */
  get events() { return this.#events.slice(); }

  /** @returns {Promise<void>} asks the server to cancel the run; settles once it has ended */
  cancel() {
    return this.#controller.cancelRun(this);
  }

  /**
   * Answers a tool call waiting for approval (`approval_requested`).
   * @param {string} toolCallId
   * @param {boolean} approved
   * @param {string} [reason] told to the model with a rejection
   * @returns {Promise<ApprovalResolvedEvent>} the run's `approval_resolved` event for that call
   */
  approve(toolCallId, approved, reason) {
    return this.#controller.approveTool(this, toolCallId, approved, reason);
  }

  /** @returns {AsyncIterator<RunEvent>} */
  [Symbol.asyncIterator]() {
    let index = 0;
    let stopped = false;
    return {
      next: async () => {
        for (;;) {
          if (stopped) return { value: undefined, done: true };
          if (index < this.#events.length) {
            return { value: this.#events[index++], done: false };
          }
          if (this.#terminal !== null) return { value: undefined, done: true };
          if (this.#failure !== null) throw this.#failure;
          await new Promise((resolve) => {
            /** @type {() => void} */
            const wake = () => { this.#wakeups.delete(wake); resolve(undefined); };
            this.#wakeups.add(wake);
          });
        }
      },
      return: async () => {
        stopped = true;
        return { value: undefined, done: true };
      },
    };
  }

  /**
   * @internal the caller has the events up to `seq` already
   * @param {number} seq
   */
  _skipTo(seq) {
    if (this.#events.length === 0) this.#baseSeq = seq;
  }

  /**
   * @internal the server accepted the start
   * @param {string} runId
   * @param {string} threadId
   */
  _accept(runId, threadId) {
    if (this.#runId !== null) return;
    this.#runId = runId;
    this.#threadId = threadId;
    this.#resolveAccepted({ runId, threadId });
  }

  /**
   * @internal takes an event from the socket; duplicates (seq already delivered) are dropped.
   * @param {RunEvent} event
   * @returns {RunEvent[]} the events newly delivered, in order
   */
  _deliver(event) {
    if (this.finished || event.seq <= this.lastSeq) return [];
    this.#ahead.set(event.seq, event);
    /** @type {RunEvent[]} */
    const delivered = [];
    for (let next = this.#ahead.get(this.lastSeq + 1); next !== undefined; next = this.#ahead.get(this.lastSeq + 1)) {
      this.#ahead.delete(next.seq);
      this.#events.push(next);
      delivered.push(next);
      if (isTerminalEvent(next)) {
        this.#terminal = next;
        this.#ahead.clear();
        this.#resolveDone(next);
        break;
      }
    }
    if (delivered.length > 0) this.#wake();
    return delivered;
  }

  /**
   * @internal the run cannot be followed any more (refused start, closed client, fatal connection error)
   * @param {OverseerError} error
   */
  _fail(error) {
    if (this.finished) return;
    this.#failure = error;
    this.#rejectAccepted(error);
    this.#rejectDone(error);
    this.#wake();
  }

  #wake() {
    for (const wake of [...this.#wakeups]) wake();
  }
}
