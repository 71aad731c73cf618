import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSse } from '../src/sse.js';

/** @param {string[]} chunks */
function stream(chunks) {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

/** @param {string[]} chunks */
async function parse(chunks) {
  const messages = [];
  for await (const message of parseSse(stream(chunks))) messages.push(message);
  return messages;
}

test('messages split anywhere across chunks, CRLF and CR line ends, comments and multi-line data', async () => {
  const text = ': keep-alive\r\nid: 1\r\nevent: agent_started\r\ndata: {"a":1}\r\n\r\nid: 2\revent: x\rdata: line1\rdata: line2\r\rdata: no id\n\n';
  const expected = [
    { event: 'agent_started', data: '{"a":1}', id: '1', retry: undefined },
    { event: 'x', data: 'line1\nline2', id: '2', retry: undefined },
    { event: 'message', data: 'no id', id: '2', retry: undefined },
  ];
  assert.deepEqual(await parse([text]), expected);
  for (let cut = 1; cut < text.length; cut += 1) {
    assert.deepEqual(await parse([text.slice(0, cut), text.slice(cut)]), expected, `cut at ${cut}`);
  }
});

test('a message without its blank line at the end of the stream is not dispatched; retry is read', async () => {
  assert.deepEqual(await parse(['retry: 1500\ndata: a\n\ndata: incomplete']), [{ event: 'message', data: 'a', id: '', retry: 1500 }]);
});

test('multi-byte characters split between chunks decode intact', async () => {
  const bytes = new TextEncoder().encode('data: é€😀\n\n');
  const streamOfBytes = new ReadableStream({
    start(controller) {
      for (const b of bytes) controller.enqueue(new Uint8Array([b]));
      controller.close();
    },
  });
  const messages = [];
  for await (const message of parseSse(streamOfBytes)) messages.push(message);
  assert.equal(messages[0].data, 'é€😀');
});
