/**
 * A Server-Sent Events parser over a byte stream (fetch's `response.body`), as the WHATWG HTML
 * "event stream interpretation" describes it: no EventSource needed, so headers (Authorization,
 * Last-Event-ID) can be set.
 * @typedef {object} SseMessage
 * @property {string} event the `event:` field, `message` when absent
 * @property {string} data the `data:` lines joined with `\n`
 * @property {string} id the last `id:` seen (it carries over to later messages, as in the spec)
 * @property {number | undefined} retry a `retry:` field of this message, if any
 */

/**
 * @param {ReadableStream<Uint8Array>} stream
 * @returns {AsyncGenerator<SseMessage, void, undefined>}
 */
export async function* parseSse(stream) {
  const reader = stream.getReader();
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let first = true;
  let lastId = '';
  /** @type {string[]} */
  let data = [];
  let event = '';
  /** @type {number | undefined} */
  let retry;
  let sawField = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      if (first && buffer.length > 0) {
        if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
        first = false;
      }
      for (;;) {
        const match = /\r\n|\r|\n/.exec(buffer);
        if (!match) break;
        // A lone \r at the very end may be the first half of \r\n: wait for more.
        if (match[0] === '\r' && match.index === buffer.length - 1 && !done) break;
        const line = buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);
        if (line === '') {
          if (sawField && data.length > 0) {
            yield { event: event || 'message', data: data.join('\n'), id: lastId, retry };
          }
          data = [];
          event = '';
          retry = undefined;
          sawField = false;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let fieldValue = colon === -1 ? '' : line.slice(colon + 1);
        if (fieldValue.startsWith(' ')) fieldValue = fieldValue.slice(1);
        sawField = true;
        if (field === 'data') data.push(fieldValue);
        else if (field === 'event') event = fieldValue;
        else if (field === 'id') { if (!fieldValue.includes('\0')) lastId = fieldValue; }
        else if (field === 'retry') { if (/^\d+$/.test(fieldValue)) retry = Number(fieldValue); }
      }
      if (done) return;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
