import test from 'ava';
import { daysAgo, person, timesheetApp } from '../timesheets/helpers.js';

test('pages that show time data are no-store like the API; only static assets may be cached', async (t) => {
  const { a } = await timesheetApp(t);
  const p = await person(a);
  const pages = ['/', '/timesheets', `/timesheets/day/${daysAgo(1)}`, '/timesheets/data-reads', '/account', '/sign-in', '/does-not-exist'];
  for (const path of pages) {
    const res = await p.c.call('GET', path, undefined, { accept: 'text/html' });
    await res.arrayBuffer();
    t.is(res.headers.get('cache-control'), 'no-store', path);
  }
  const api = await p.c.call('GET', '/api/v1/me');
  t.is(api.headers.get('cache-control'), 'no-store');
  const css = await a.request('/static/app.css');
  t.is(css.headers.get('cache-control'), 'public, max-age=3600', 'static assets keep their own policy');
});
