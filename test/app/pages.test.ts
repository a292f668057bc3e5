import test from 'ava';
import { startTestApp } from '../helpers/app.js';
import { ApiClient } from '../helpers/client.js';
import { buildLocalAccount, GOOD_PASSWORD } from '../helpers/factories.js';

// The web layer knows no sessions: identity's middleware hands the page layout the
// session's CSRF token through ctx.state. These check the wiring end to end.

test('pages of a signed-in person carry the sign-out form with their session’s CSRF token; anonymous pages do not', async (t) => {
  const a = await startTestApp(t);
  const anon = await (await a.request('/?lang=en')).text();
  t.false(anon.includes('action="/sign-out"'));
  t.true(anon.includes('href="/sign-in"'));

  const person = await buildLocalAccount(a.db.knex, a.app.services.audit, { roles: ['employee'] });
  const c = new ApiClient(a.url);
  const signIn = await c.json<{ state: string }>('POST', '/api/v1/session', { username: person.username, password: GOOD_PASSWORD, source: 'local' });
  t.is(signIn.status, 200, JSON.stringify(signIn.body));
  t.truthy(c.csrf);
  const page = await (await c.call('GET', '/?lang=en', undefined, { accept: 'text/html' })).text();
  t.true(page.includes('action="/sign-out"'), 'signed-in navigation');
  t.true(page.includes(`name="_csrf" value="${c.csrf}"`), 'the token of this session');
});

test('the error page of a request the session middleware refuses still shows the signed-in navigation', async (t) => {
  const a = await startTestApp(t);
  const person = await buildLocalAccount(a.db.knex, a.app.services.audit, { roles: ['employee'] });
  const c = new ApiClient(a.url);
  await c.json('POST', '/api/v1/session', { username: person.username, password: GOOD_PASSWORD, source: 'local' });
  const res = await c.call('POST', '/sign-out?lang=en', undefined, { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': 'A'.repeat(43) });
  t.is(res.status, 403);
  const page = await res.text();
  t.regex(res.headers.get('content-type') ?? '', /text\/html/);
  t.true(page.includes(`name="_csrf" value="${c.csrf}"`), 'the layout got the session’s token although the request was refused');
});
