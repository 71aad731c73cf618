// The browser path: the WHATWG WebSocket (Node's built-in one, as browsers have it: no headers, a refused
// upgrade is only a close with 1006), passed by nobody: the client finds it on globalThis.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { OverseerClient, OverseerError } from '../src/index.js';
import { startServer } from './server.js';
import { assertCompleteRun } from './helpers.js';

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;

before(async () => {
  assert.equal(typeof globalThis.WebSocket, 'function',
    'this test needs the global WebSocket: run it with node --experimental-websocket (npm test does) or Node >= 22');
  server = await startServer();
});
after(async () => { await server?.close(); });

test('with the global WebSocket, a run streams, survives a dropped socket, and matches what is stored', async () => {
  /** @type {WebSocket[]} */
  const sockets = [];
  const Native = globalThis.WebSocket;
  globalThis.WebSocket = class extends Native {
    /** @param {string} url @param {string[]} protocols */
    constructor(url, protocols) { super(url, protocols); sockets.push(this); }
  };
  try {
    const client = new OverseerClient({ url: server.url, token: () => server.token(), reconnect: { baseMs: 50, maxMs: 500 } });
    const run = client.startRun({ content: 'wait 2 seconds' });
    const events = [];
    for await (const event of run) {
      events.push(event);
      if (event.type === 'tool_executing') sockets[0].close();
    }
    assertCompleteRun(events);
    assert.deepEqual(events, await client.runs.events(String(run.runId)));
    assert.equal(sockets.length, 2);
    assert.equal(sockets[0].protocol, 'overseer.v1');
    client.close();
  } finally {
    globalThis.WebSocket = Native;
  }
});

test('with the global WebSocket, a refused token ends in unauthorized', async () => {
  const client = new OverseerClient({ url: server.url, token: server.token('alice', -300) });
  await assert.rejects(client.connect(), (error) => error instanceof OverseerError
    && error.code === 'unauthorized' && error.status === 401 && /expired/.test(error.detail));
  assert.equal(client.state, 'closed');
});
