/**
 * Reconnection delays: exponential backoff with full jitter (a uniformly random delay between 0 and
 * min(maxMs, baseMs * 2^attempt)), so that many clients dropped at once do not come back at once.
 * @typedef {object} BackoffOptions
 * @property {number} [baseMs] first ceiling, default 250
 * @property {number} [maxMs] the cap, default 30000
 * @property {number} [maxAttempts] consecutive failed attempts before giving up, default Infinity
 */

/**
 * @param {number} attempt 0 for the first retry
 * @param {{baseMs: number, maxMs: number}} options
 * @param {() => number} [random]
 * @returns {number} milliseconds to wait
 */
export function backoffDelay(attempt, options, random = Math.random) {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
