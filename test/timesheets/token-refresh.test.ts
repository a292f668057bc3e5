import test from 'ava';
import { findApiToken, forgetCachedTokens, tokenRefreshesSettled } from '../../src/identity/api-tokens.js';
import { person, timesheetApp } from './helpers.js';

// One test in its own file: it moves this process's clock (Date.now), which no other
// test may see. The database's clock is left alone.
test('refresh-ahead: a cached token in use is looked up again in the background before its entry lapses; a revocation made elsewhere ends it then', async (t) => {
  const { a } = await timesheetApp(t, { auth: { throttle_base_seconds: 30, token_cache_seconds: 0 } });
  const emp = await person(a);
  const { token } = (await emp.c.json<{ token: string }>('POST', '/api/v1/me/tokens', { name: 'agent', scopes: ['entries:read'] })).body;
  const db = a.db.knex;
  const realNow = Date.now;
  const at = (ms: number) => (Date.now = () => realNow() + ms);
  t.teardown(() => {
    Date.now = realNow;
    forgetCachedTokens();
  });
  forgetCachedTokens();
  const cacheSeconds = 10;
  t.truthy(await findApiToken(db, token, cacheSeconds), 'looked up and cached');
  await db('api_tokens').whereNull('revoked_at').update({ revoked_at: db.fn.now(), revoke_reason: 'elsewhere' });

  // Before half of its life, the entry answers and nothing is looked up.
  at(4_000);
  t.truthy(await findApiToken(db, token, cacheSeconds), 'answered from the cache');
  await tokenRefreshesSettled();
  t.truthy(await findApiToken(db, token, cacheSeconds), 'no background lookup before half of its life');

  // Past four fifths of its life, still inside it: answered from the cache, looked up behind it.
  at(8_500);
  t.truthy(await findApiToken(db, token, cacheSeconds), 'the request that notices is answered from the cache');
  await tokenRefreshesSettled();
  t.is(await findApiToken(db, token, cacheSeconds), undefined, 'the background lookup found the revocation, before the entry would have lapsed');
});
