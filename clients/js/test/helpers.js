// Shared pieces of the tests: a WebSocket class that lets a test reach the client's sockets, and event checks.
import assert from 'node:assert/strict';
import WebSocket from 'ws';

/** The `ws` package's WebSocket, remembering every socket it opened so a test can cut one underneath the client. */
export function trackingWebSocket() {
  /** @type {WebSocket[]} */
  const sockets = [];
  class TrackedWebSocket extends WebSocket {
    /** @param {string} url @param {string[]} protocols */
    constructor(url, protocols) {
      super(url, protocols);
      sockets.push(this);
    }
  }
  return { WebSocket: TrackedWebSocket, sockets };
}

/**
 * Every event once, seq 1..n, one terminal event, last.
 * @param {Array<{seq: number, type: string}>} events
 */
export function assertCompleteRun(events) {
  assert.ok(events.length > 0, 'no events');
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1));
  const terminal = events.filter((e) => ['run_completed', 'run_failed', 'run_cancelled'].includes(e.type));
  assert.equal(terminal.length, 1);
  assert.equal(terminal[0], events[events.length - 1]);
}

/**
 * @param {() => boolean} condition
 * @param {number} [timeoutMs]
 */
export async function eventually(condition, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
