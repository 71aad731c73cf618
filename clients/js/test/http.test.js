import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OverseerClient, OverseerError } from '../src/index.js';
import { startServer } from './server.js';
import { assertCompleteRun } from './helpers.js';

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {OverseerClient} */
let client;
let tokenCalls = 0;

before(async () => {
  server = await startServer({ agents: { agents: [{ name: 'supervisor', require_approval: ['clock'] }] } });
  client = new OverseerClient({ url: server.url, token: async () => { tokenCalls += 1; return server.token(); } });
});

after(async () => {
  client?.close();
  await server?.close();
});

/** @template T @param {AsyncIterable<T>} iterable */
async function all(iterable) {
  const items = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe('the HTTP API', () => {
  test('threads: create, get, update, list page by page, delete', async () => {
    const created = await client.threads.create({ title: 'Trip', metadata: { team: 'blue' } });
    assert.match(created.id, /^thr_/);
    assert.deepEqual(created.metadata, { team: 'blue' });
    assert.deepEqual(await client.threads.get(created.id), created);
    const renamed = await client.threads.update(created.id, { title: 'Trip to Lisbon' });
    assert.equal(renamed.title, 'Trip to Lisbon');
    assert.deepEqual(renamed.metadata, { team: 'blue' });
    const more = [await client.threads.create(), await client.threads.create({ title: 'third' })];
    const page = await client.threads.listPage({ limit: 2 });
    assert.equal(page.data.length, 2);
    assert.notEqual(page.next_cursor, null);
    const listed = await all(client.threads.list({ limit: 2 }));
    const ids = listed.map((t) => t.id);
    for (const t of [created, ...more]) assert.ok(ids.includes(t.id));
    assert.equal(new Set(ids).size, ids.length, 'no thread twice across pages');
    await client.threads.delete(created.id);
    await assert.rejects(client.threads.get(created.id), (error) => error instanceof OverseerError && error.status === 404 && error.code === 'not_found');
    assert.ok(tokenCalls >= 8, 'the token function is called for every request');
  });

  test('runs: create with wait, get, messages, stored events', async () => {
    const thread = await client.threads.create();
    const run = await client.runs.create(thread.id, { content: 'What is 6*7?', wait: true });
    assert.equal(run.status, 'completed');
    assert.match(String(run.output), /42/);
    assert.deepEqual(await client.runs.get(run.id), run);
    const messages = await all(client.threads.messages(thread.id, { limit: 1 }));
    assert.deepEqual(messages.map((m) => m.role), ['user', 'assistant']);
    const events = await client.runs.events(run.id);
    assertCompleteRun(events);
    assert.deepEqual(await client.runs.events(run.id, { after: 2 }), events.slice(2));
    const page = await client.runs.eventsPage(run.id, { after: 1, limit: 2 });
    assert.deepEqual(page.data, events.slice(1, 3));
  });

  test('runs: an idempotency key starts one run', async () => {
    const thread = await client.threads.create();
    const first = await client.runs.create(thread.id, { content: 'hello', wait: true, idempotencyKey: 'key-1' });
    const again = await client.runs.create(thread.id, { content: 'hello', wait: true, idempotencyKey: 'key-1' });
    assert.equal(again.id, first.id);
    await assert.rejects(client.runs.create(thread.id, { content: 'other', idempotencyKey: 'key-1' }), { status: 422, code: 'idempotency_key_reused' });
  });

  test('runs: stream yields the run as SSE, the same events as stored', async () => {
    const thread = await client.threads.create();
    const events = await all(client.runs.stream(thread.id, { content: 'What is 2+3?' }));
    assertCompleteRun(events);
    assert.equal(events.at(-1)?.type, 'run_completed');
    assert.deepEqual(events, await client.runs.events(events[0].run_id));
  });

  test('runs: streamEvents follows a live run after a seq, and cancel ends it', async () => {
    const thread = await client.threads.create();
    const run = await client.runs.create(thread.id, { content: 'wait 20 seconds' });
    assert.ok(['queued', 'running'].includes(run.status));
    const seen = [];
    for await (const event of client.runs.streamEvents(run.id, { after: 1 })) {
      seen.push(event);
      if (event.type === 'tool_executing') {
        const cancelled = await client.runs.cancel(run.id);
        assert.equal(cancelled.id, run.id);
      }
    }
    assert.deepEqual(seen.map((e) => e.seq), seen.map((_, i) => i + 2));
    assert.equal(seen.at(-1)?.type, 'run_cancelled');
    await assert.rejects(client.runs.cancel(run.id), { status: 409, code: 'run_not_active' });
  });

  test('runs: approve a waiting tool call; a second answer is 409 approval_not_pending', async () => {
    const thread = await client.threads.create();
    const run = await client.runs.create(thread.id, { content: 'What time is it?' });
    let pending = null;
    for await (const event of client.runs.streamEvents(run.id)) {
      if (event.type === 'approval_requested') {
        pending = (await client.runs.get(run.id)).pending_approval;
        const answered = await client.runs.approve(run.id, event.payload.tool_call_id, false, 'no clocks');
        assert.equal(answered.id, run.id);
        await assert.rejects(client.runs.approve(run.id, event.payload.tool_call_id, true), { status: 409, code: 'approval_not_pending' });
      }
    }
    assert.equal(pending?.tool, 'clock');
    const completed = (await client.runs.events(run.id)).find((e) => e.type === 'tool_completed');
    assert.match(String(completed?.type === 'tool_completed' && completed.payload.error), /rejected: no clocks/);
  });

  test('errors are typed problems with status, code and detail', async () => {
    await assert.rejects(client.threads.listPage({ limit: 500 }), (error) => error instanceof OverseerError
      && error.status === 400 && error.code === 'invalid_request' && /limit/.test(error.detail));
    await assert.rejects(client.runs.get('run_01m8gjzfn4gz49yqvs7bcawqq4'), { status: 404, code: 'not_found' });
    const thread = await client.threads.create();
    await assert.rejects(client.runs.create(thread.id, { content: 'hi', agent: 'planner' }), { status: 400, code: 'invalid_request', detail: "unknown agent 'planner'" });
    const stranger = new OverseerClient({ url: server.url, token: 'not-a-jwt' });
    await assert.rejects(stranger.threads.listPage(), { status: 401, code: 'unauthorized' });
    const bob = new OverseerClient({ url: server.url, token: server.token('bob') });
    await assert.rejects(bob.threads.get(thread.id), { status: 404, code: 'not_found' });
  });
});
