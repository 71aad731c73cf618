/**
 * The one error type of the client: an HTTP problem (RFC 9457), a WebSocket `error` frame, or a
 * connection that cannot go on. Match on `code`; `message` is for people.
 *
 * Codes are the server's (`not_found`, `thread_busy`, `unauthorized`, `approval_not_pending`, …) plus
 * the client's own: `connection_closed` (the client was closed, or the server closed with a code that
 * must not be retried), `connection_failed` (reconnection gave up), `message_too_large`,
 * `invalid_argument`, `no_websocket`, `token_error`, `invalid_response`.
 */
export class OverseerError extends Error {
  /**
   * @param {string} code stable machine-readable code
   * @param {string} message what went wrong, for people
   * @param {{status?: number, detail?: string, title?: string, type?: string, requestId?: string | null,
   *          retryAfterMs?: number, closeCode?: number, cause?: unknown}} [details]
   */
  constructor(code, message, details = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'OverseerError';
    /** @type {string} */
    this.code = code;
    /** @type {number | undefined} the HTTP status, for HTTP problems and refused upgrades */
    this.status = details.status;
    /** @type {string} the problem's `detail` (an error frame's `message`) */
    this.detail = details.detail ?? message;
    /** @type {string | undefined} */
    this.title = details.title;
    /** @type {string | undefined} */
    this.type = details.type;
    /** @type {string | null | undefined} the `request_id` of the WebSocket frame this answers */
    this.requestId = details.requestId;
    /** @type {number | undefined} from `retry_after_ms` or `Retry-After` */
    this.retryAfterMs = details.retryAfterMs;
    /** @type {number | undefined} the WebSocket close code, when a close caused this */
    this.closeCode = details.closeCode;
  }
}

/**
 * Builds the error of a non-2xx HTTP response, reading its problem body when there is one.
 * @param {Response} response
 * @returns {Promise<OverseerError>}
 */
export async function problemFrom(response) {
  const text = await response.text().catch(() => '');
  /** @type {any} */
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  const retryAfter = response.headers.get('retry-after');
  const retryAfterMs = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : undefined;
  const status = response.status;
  if (body && typeof body === 'object' && typeof body.code === 'string') {
    return new OverseerError(body.code, `${status} ${body.code}: ${body.detail ?? body.title ?? ''}`, {
      status, detail: body.detail, title: body.title, type: body.type, retryAfterMs,
    });
  }
  return new OverseerError(`http_${status}`, `${status} ${response.statusText || 'error'}${text ? `: ${text.slice(0, 200)}` : ''}`, {
    status, detail: text || response.statusText, retryAfterMs,
  });
}
