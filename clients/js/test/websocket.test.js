import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { OverseerClient, OverseerError } from '../src/index.js';
import { startServer } from './server.js';
import { assertCompleteRun, eventually, trackingWebSocket } from './helpers.js';

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {OverseerClient[]} */
const clients = [];

/** @param {Partial<import('../src/client.js').OverseerClientOptions>} [options] */
function client(options = {}) {
  const c = new OverseerClient({ url: server.url, token: () => server.token(), WebSocket, reconnect: { baseMs: 50, maxMs: 500 }, ...options });
  clients.push(c);
  return c;
}

/** @param {import('../src/run.js').Run} run */
async function collect(run) {
  const events = [];
  for await (const event of run) events.push(event);
  return events;
}

before(async () => {
  server = await startServer({
    env: { OVERSEER_JWT_CLOCK_SKEW_SECONDS: '0' },
    agents: { agents: [{ name: 'supervisor', require_approval: ['clock'] }] },
  });
});

// The server allows 10 connections per user: each test closes its clients.
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

after(async () => {
  await server?.close();
});

describe('OverseerClient over the WebSocket', { timeout: 90000 }, () => {
  test('connect answers the first frame and reports its states', async () => {
    const c = client();
    const states = [];
    c.on('state', (state) => states.push(state));
    const info = await c.connect();
    assert.equal(info.user_id, 'alice');
    assert.equal(info.protocol, 'overseer.v1');
    assert.match(info.connection_id, /^conn_/);
    assert.equal(c.state, 'open');
    c.close();
    assert.deepEqual(states, ['connecting', 'open', 'closed']);
  });

  test('startRun yields every event once, in order, as stored; done is the terminal event', async () => {
    const c = client();
    const run = c.startRun({ content: 'What is 6*7?' });
    const events = await collect(run);
    assertCompleteRun(events);
    const done = await run.done;
    assert.equal(done.type, 'run_completed');
    assert.match(done.type === 'run_completed' ? done.payload.output : '', /42/);
    assert.match(String(run.runId), /^run_/);
    assert.match(String(run.threadId), /^thr_/);
    assert.deepEqual(await c.runs.events(String(run.runId)), events);
    // A second iteration sees the same events again.
    assert.deepEqual(await collect(run), events);
  });

  test("on('frame') sees every frame over the wire, both ways, in order", async () => {
    const c = client();
    /** @type {[string, Record<string, unknown>][]} */
    const frames = [];
    c.on('frame', (direction, frame) => frames.push([direction, frame]));
    const run = c.startRun({ content: 'What is 6*7?', requestId: 'frames-1' });
    const events = await collect(run);
    await c.ping();
    const sent = frames.filter(([direction]) => direction === 'out').map(([, frame]) => frame);
    const received = frames.filter(([direction]) => direction === 'in').map(([, frame]) => frame);
    assert.deepEqual(sent[0], { type: 'start_agent', content: 'What is 6*7?', request_id: 'frames-1' });
    assert.equal(sent.at(-1)?.type, 'ping');
    assert.equal(received[0].type, 'connection_established');
    assert.equal(received[1].type, 'run_accepted');
    assert.equal(received[1].request_id, 'frames-1');
    // The run's events arrive as stored, each once; the last frame is the ping's answer.
    assert.deepEqual(received.filter((frame) => typeof frame.seq === 'number'), events);
    assert.equal(received.at(-1)?.type, 'pong');
  });

  test('a repeated requestId starts nothing: the same run is answered', async () => {
    const c = client();
    const first = c.startRun({ content: 'What is 2+3?', requestId: 'same-request-1' });
    await first.done;
    const second = c.startRun({ content: 'something else', requestId: 'same-request-1' });
    await second.done;
    assert.equal(second.runId, first.runId);
    assert.deepEqual(await collect(second), await collect(first));
    let messages = 0;
    for await (const _ of c.threads.messages(String(first.threadId))) messages += 1;
    assert.equal(messages, 2, 'one user message and one answer: a single run');
  });

  test('a refused start rejects done and the iterator with a typed error', async () => {
    const c = client();
    const long = c.startRun({ content: 'wait 5 seconds' });
    const { threadId } = await long.accepted;
    const busy = c.startRun({ content: 'hello', threadId });
    await assert.rejects(busy.done, (error) => error instanceof OverseerError && error.code === 'thread_busy');
    await assert.rejects(collect(busy), { code: 'thread_busy' });
    const missing = c.startRun({ content: 'hello', threadId: 'thr_01m8gjzfn4gz49yqvs7bcawqq4' });
    await assert.rejects(missing.done, { code: 'not_found' });
    await long.cancel();
  });

  test('cancel ends a waiting run with run_cancelled', async () => {
    const c = client();
    const run = c.startRun({ content: 'wait 20 seconds' });
    for await (const event of run) {
      if (event.type === 'tool_executing') break;
    }
    const started = Date.now();
    await run.cancel();
    assert.ok(Date.now() - started < 5000);
    assert.equal((await run.done).type, 'run_cancelled');
    assert.equal((await c.runs.get(String(run.runId))).status, 'cancelled');
    await run.cancel(); // a finished run: nothing to do
  });

  test('approve answers a tool call waiting for approval; a second answer is approval_not_pending', async () => {
    const c = client();
    const run = c.startRun({ content: 'What time is it?' });
    let requested = null;
    for await (const event of run) {
      if (event.type === 'approval_requested') { requested = event; break; }
    }
    assert.ok(requested && requested.type === 'approval_requested');
    const resolved = await run.approve(requested.payload.tool_call_id, true);
    assert.equal(resolved.type, 'approval_resolved');
    assert.equal(resolved.payload.approved, true);
    assert.equal(resolved.payload.by, 'user');
    await assert.rejects(run.approve(requested.payload.tool_call_id, false), { code: 'approval_not_pending' });
    const events = await collect(run);
    assertCompleteRun(events);
    assert.ok(events.some((e) => e.type === 'tool_executing' && e.payload.tool === 'clock'));
    assert.equal((await run.done).type, 'run_completed');
  });

  test('a rejected approval completes the tool call with an error', async () => {
    const c = client();
    const run = c.startRun({ content: 'What time is it?' });
    for await (const event of run) {
      if (event.type === 'approval_requested') {
        await run.approve(event.payload.tool_call_id, false, 'not now');
      }
    }
    const completed = run.events.find((e) => e.type === 'tool_completed');
    assert.ok(completed && completed.type === 'tool_completed');
    assert.match(String(completed.payload.error), /rejected: not now/);
  });

  test('subscribe delivers the runs another client starts on the thread', async () => {
    const watcher = client();
    const starter = client();
    const thread = await starter.threads.create({ title: 'shared' });
    /** @type {import('../src/run.js').Run[]} */
    const seen = [];
    const unsubscribe = await watcher.subscribe(thread.id, (run) => seen.push(run));
    const run = starter.startRun({ content: 'What is 3*3?', threadId: thread.id });
    const events = await collect(run);
    await eventually(() => seen.length === 1);
    assert.equal(seen[0].runId, run.runId);
    assert.deepEqual(await collect(seen[0]), events);
    unsubscribe();
    await starter.startRun({ content: 'What is 4*4?', threadId: thread.id }).done;
    await watcher.ping();
    assert.equal(seen.length, 1, 'no more runs after unsubscribe');
    await assert.rejects(watcher.subscribe('thr_01m8gjzfn4gz49yqvs7bcawqq4', () => {}), { code: 'not_found' });
  });

  test('ping answers the server time', async () => {
    const pong = await client().ping();
    assert.ok(!Number.isNaN(Date.parse(pong.server_time)));
  });

  test('resumeRun follows a run from a seq', async () => {
    const c = client();
    const run = c.startRun({ content: 'What is 5*5?' });
    const events = await collect(run);
    const other = client();
    const resumed = other.resumeRun(String(run.runId), { afterSeq: 2 });
    assert.deepEqual(await collect(resumed), events.slice(2));
    await assert.rejects(other.resumeRun('run_01m8gjzfn4gz49yqvs7bcawqq4').done, { code: 'not_found' });
  });

  test('a socket cut under a run loses and repeats nothing; the token function is called again', async () => {
    const tracking = trackingWebSocket();
    let tokenCalls = 0;
    const c = client({ WebSocket: tracking.WebSocket, token: async () => { tokenCalls += 1; return server.token(); } });
    const states = [];
    c.on('state', (state) => states.push(state));
    const run = c.startRun({ content: 'wait 2 seconds' });
    const events = [];
    for await (const event of run) {
      events.push(event);
      if (event.type === 'tool_executing') tracking.sockets[0].terminate();
    }
    assertCompleteRun(events);
    assert.deepEqual(events, await c.runs.events(String(run.runId)));
    assert.equal(tracking.sockets.length, 2);
    assert.ok(states.includes('reconnecting'));
    assert.equal(c.state, 'open');
    assert.ok(tokenCalls >= 2, `token function called ${tokenCalls} times`);
  });

  test('a start whose socket dies before run_accepted is resent and starts once', async () => {
    const tracking = trackingWebSocket();
    const c = client({ WebSocket: tracking.WebSocket });
    await c.connect();
    const run = c.startRun({ content: 'What is 7*8?' });
    tracking.sockets[0].terminate();
    const events = await collect(run);
    assertCompleteRun(events);
    let runs = 0;
    for await (const m of c.threads.messages(String(run.threadId))) if (m.role === 'user') runs += 1;
    assert.equal(runs, 1);
  });

  test('a token that expires mid-run (1008) is replaced by a fresh one and the run goes on', async () => {
    let tokenCalls = 0;
    const c = client({ token: () => { tokenCalls += 1; return server.token('alice', tokenCalls === 1 ? 2 : 3600); } });
    const closes = [];
    c.on('state', (state, detail) => { if (state === 'reconnecting') closes.push(detail.closeCode); });
    const run = c.startRun({ content: 'wait 4 seconds' });
    const events = await collect(run);
    assertCompleteRun(events);
    assert.equal((await run.done).type, 'run_completed');
    assert.deepEqual(events, await c.runs.events(String(run.runId)));
    assert.ok(closes.includes(1008), `closes: ${closes}`);
    assert.ok(tokenCalls >= 2);
  });

  test('a bad token ends in an unauthorized error, not a retry loop', async () => {
    let calls = 0;
    const c = client({ token: () => { calls += 1; return 'not-a-jwt'; } });
    const errors = [];
    c.on('error', (error) => errors.push(error));
    await assert.rejects(c.connect(), (error) => error instanceof OverseerError && error.code === 'unauthorized' && error.status === 401);
    assert.equal(c.state, 'closed');
    assert.equal(calls, 2, 'one fresh token is tried, then it gives up');
    assert.equal(errors.length, 1);
    const fixed = client({ token: server.token('alice', -120) });
    const run = fixed.startRun({ content: 'hello' });
    await assert.rejects(run.done, { code: 'unauthorized' });
  });

  test('close rejects unfinished runs with connection_closed', async () => {
    const c = client();
    const run = c.startRun({ content: 'wait 3 seconds' });
    await run.accepted;
    c.close();
    await assert.rejects(run.done, { code: 'connection_closed' });
    assert.equal(c.state, 'closed');
  });

  test('a frame over the server limit is refused locally', async () => {
    const run = client().startRun({ content: 'x'.repeat(70000) });
    await assert.rejects(run.done, { code: 'message_too_large' });
  });
});
