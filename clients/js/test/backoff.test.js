import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from '../src/backoff.js';

test('full jitter: a delay from 0 up to the exponential ceiling, capped', () => {
  const options = { baseMs: 100, maxMs: 1000 };
  const ceilings = [100, 200, 400, 800, 1000, 1000];
  ceilings.forEach((ceiling, attempt) => {
    assert.equal(backoffDelay(attempt, options, () => 0), 0);
    assert.equal(backoffDelay(attempt, options, () => 0.999999), ceiling - 1);
    const delay = backoffDelay(attempt, options);
    assert.ok(delay >= 0 && delay < ceiling, `attempt ${attempt}: ${delay}`);
  });
  assert.equal(backoffDelay(10000, options, () => 0.5), 500, 'huge attempt counts stay at the cap');
});
