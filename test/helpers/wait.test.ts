import test from 'ava';
import { waitUntil } from './wait.js';

test('waitUntil resolves with the first truthy value, as soon as it comes', async (t) => {
  let polls = 0;
  const value = await waitUntil(() => (++polls >= 3 ? { ready: polls } : false), { timeoutMs: 5_000, what: 'the third poll', intervalMs: 1 });
  t.deepEqual(value, { ready: 3 });
});

test('waitUntil fails after its bound, naming what it waited for', async (t) => {
  const started = Date.now();
  await t.throwsAsync(waitUntil(() => false, { timeoutMs: 200, what: 'the outbox to be empty', intervalMs: 20 }), {
    message: 'timed out after 200 ms waiting for the outbox to be empty',
  });
  t.true(Date.now() - started >= 200);
});

test('waitUntil stops at once when the check throws', async (t) => {
  let polls = 0;
  await t.throwsAsync(waitUntil(() => {
    polls++;
    throw new Error('serve exited');
  }, { timeoutMs: 10_000, what: 'serve' }), { message: 'serve exited' });
  t.is(polls, 1);
});
