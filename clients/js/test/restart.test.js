import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { OverseerClient } from '../src/index.js';
import { startServer } from './server.js';
import { assertCompleteRun } from './helpers.js';

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;

before(async () => { server = await startServer(); });
after(async () => { await server?.close(); });

test('a server restart under a run: the client reconnects, resumes, and sees every stored event once', async () => {
  const client = new OverseerClient({ url: server.url, token: () => server.token(), WebSocket, reconnect: { baseMs: 100, maxMs: 1000 } });
  const closes = [];
  client.on('state', (state, detail) => { if (state === 'reconnecting' && detail.closeCode) closes.push(detail.closeCode); });
  const run = client.startRun({ content: 'wait 30 seconds' });
  const events = [];
  for await (const event of run) {
    events.push(event);
    if (event.type === 'tool_executing') await server.restart();
  }
  assertCompleteRun(events);
  const terminal = await run.done;
  assert.equal(terminal.type, 'run_failed');
  assert.equal(terminal.type === 'run_failed' && terminal.payload.code, 'interrupted');
  assert.deepEqual(events, await client.runs.events(String(run.runId)));
  assert.ok(closes.includes(1001), `closes: ${closes}`);
  // The same client goes on working on the restarted server.
  assert.equal((await client.startRun({ content: 'What is 1+1?' }).done).type, 'run_completed');
  client.close();
});
