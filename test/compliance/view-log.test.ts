import test from 'ava';
import type { AuditEventInput } from '../../src/audit/service.js';
import type { EventsPage } from '../../src/compliance/schema.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { ApiClient } from '../helpers/client.js';
import { buildAuditor } from '../helpers/factories.js';

const ACTORS = ['acct-a', 'acct-b', 'acct-c'];
const SUBJECTS = ['subj-1', 'subj-2', null];
const ACTIONS = ['auth.login.succeeded', 'auth.login.failed', 'timesheet.day.submitted', 'privacy.personal_data.read', 'auth.logout.succeeded'];

/** `n` events in one batch, cycling through actors, subjects and actions at different strides. */
async function seed(a: TestApp, n: number, offset: number): Promise<void> {
  const events: AuditEventInput[] = Array.from({ length: n }, (_, k) => {
    const i = k + offset;
    return { action: ACTIONS[i % 5]!, actorId: ACTORS[i % 3]!, subjectId: SUBJECTS[i % 2 === 0 ? i % 3 : 2] ?? null, object: { type: 'thing', id: `t-${i}` }, payload: { i, nested: { ok: true } } };
  });
  await a.db.knex.transaction((trx) => a.app.services.audit.recordMany(trx, events));
  await a.app.services.audit.flush(); // chained, as a request's answer would have waited for
}

interface Row { seq: string; at: Date; actor_id: string; subject_id: string | null; action: string; payload: Record<string, unknown> }

/** Every page of a filter through the API, with a page size that does not divide the total. */
async function allPages(c: ApiClient, filter: Record<string, string>): Promise<{ seqs: number[]; pages: number }> {
  const seqs: number[] = [];
  let before: number | null = null;
  let pages = 0;
  do {
    const q: URLSearchParams = new URLSearchParams({ ...filter, limit: '37', ...(before ? { before: String(before) } : {}) });
    const r: { status: number; body: EventsPage } = await c.json<EventsPage>('GET', `/api/v1/audit/events?${q}`);
    if (r.status !== 200) throw new Error(`page answered ${r.status}: ${JSON.stringify(r.body)}`);
    assertNewestFirst(r.body.events.map((e) => e.seq));
    seqs.push(...r.body.events.map((e) => e.seq));
    before = r.body.next_before;
    pages++;
  } while (before !== null);
  return { seqs, pages };
}

function assertNewestFirst(seqs: number[]): void {
  for (let i = 1; i < seqs.length; i++) if (seqs[i]! >= seqs[i - 1]!) throw new Error(`not newest first: ${seqs.join(',')}`);
}

test('filters by actor, subject, action prefix and time return exactly the matching events, paged by seq without gaps or repeats', async (t) => {
  const a = await startTestApp(t);
  const auditor = await buildAuditor(a);
  await seed(a, 200, 0);
  await new Promise((r) => setTimeout(r, 20));
  const boundary = new Date();
  await new Promise((r) => setTimeout(r, 20));
  await seed(a, 150, 200);

  const snapshot = (await a.db.knex('audit.events').orderBy('seq', 'desc').select('seq', 'at', 'actor_id', 'subject_id', 'action', 'payload')) as Row[];
  const expected = (keep: (r: Row) => boolean) => snapshot.filter(keep).map((r) => Number(r.seq));

  const cases: Array<[string, Record<string, string>, (r: Row) => boolean]> = [
    ['actor', { actor: 'acct-b' }, (r) => r.actor_id === 'acct-b'],
    ['subject', { subject: 'subj-2' }, (r) => r.subject_id === 'subj-2'],
    ['action prefix', { action: 'auth.login.' }, (r) => r.action.startsWith('auth.login.')],
    ['whole action', { action: 'privacy.personal_data.read' }, (r) => r.action === 'privacy.personal_data.read'],
    ['actor and action', { actor: 'acct-a', action: 'auth.' }, (r) => r.actor_id === 'acct-a' && r.action.startsWith('auth.')],
    ['from (ISO time)', { from: boundary.toISOString(), actor: 'acct-c' }, (r) => r.actor_id === 'acct-c' && r.at >= boundary],
    ['to (ISO time, exclusive)', { to: boundary.toISOString(), actor: 'acct-a' }, (r) => r.actor_id === 'acct-a' && r.at < boundary],
  ];
  for (const [name, filter, keep] of cases) {
    const want = expected(keep);
    t.true(want.length > 37, `${name}: the case spans several pages (${want.length})`);
    const got = await allPages(auditor.client, filter);
    t.deepEqual(got.seqs, want, name);
    t.is(got.pages, Math.ceil(want.length / 37), `${name}: no empty trailing page`);
  }
  const noMatch = await auditor.client.json<EventsPage>('GET', '/api/v1/audit/events?actor=nobody');
  t.deepEqual(noMatch.body, { events: [], next_before: null });

  // Dates are the organisation's days: today's date covers everything seeded; a `to` before today nothing.
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: a.config.timesheets.time_zone }).format(new Date());
  t.is((await allPages(auditor.client, { actor: 'acct-a', from: today })).seqs.length, expected((r) => r.actor_id === 'acct-a').length);
  t.is((await auditor.client.json<EventsPage>('GET', '/api/v1/audit/events?actor=acct-a&to=2020-01-01')).body.events.length, 0);
  const backwards = await auditor.client.json<{ error: { details: Array<{ field: string }> } }>('GET', `/api/v1/audit/events?from=${today}&to=2020-01-01`);
  t.is(backwards.status, 422);
  t.deepEqual(backwards.body.error.details.map((d) => d.field), ['query.to']);
  const badAction = await auditor.client.json<{ error: { details: Array<{ field: string }> } }>('GET', '/api/v1/audit/events?action=DROP%20TABLE');
  t.is(badAction.status, 422);
  t.deepEqual(badAction.body.error.details.map((d) => d.field), ['query.action']);

  // Payloads are shown as stored.
  const one = await auditor.client.json<EventsPage>('GET', '/api/v1/audit/events?actor=acct-a&limit=1');
  const stored = snapshot.find((r) => Number(r.seq) === one.body.events[0]!.seq)!;
  t.deepEqual(one.body.events[0]!.payload, stored.payload);
  t.is(one.body.events[0]!.hash.length, 64);
});

test('each read of the log is one audited event: the next read shows it at the head, reading never multiplies events', async (t) => {
  const a = await startTestApp(t);
  const auditor = await buildAuditor(a);
  await seed(a, 120, 0);
  const count = async () => Number(((await a.db.knex('audit.events').count({ n: '*' })) as Array<{ n: string }>)[0]!.n);

  const before = await count();
  const first = await auditor.client.json<EventsPage>('GET', '/api/v1/audit/events?limit=10');
  t.not(first.body.events[0]!.action, 'compliance.auditor.read', 'a read does not show itself');
  t.is(await count(), before + 1, 'one event for the read, not one per listed event');
  const second = await auditor.client.json<EventsPage>('GET', `/api/v1/audit/events?limit=10&before=${first.body.next_before}`);
  t.is(await count(), before + 2);
  t.true(second.body.events.every((e) => e.seq < first.body.events.at(-1)!.seq), 'page 2 continues below page 1 whatever was appended meanwhile');

  const again = await auditor.client.json<EventsPage>('GET', '/api/v1/audit/events?limit=10');
  const [newest, older] = again.body.events;
  t.is(newest!.action, 'compliance.auditor.read');
  t.deepEqual(newest!.payload, { view: 'events', filter: { limit: 10, before: first.body.next_before } }, 'the read names its view and filters');
  t.is(older!.action, 'compliance.auditor.read');
  t.deepEqual(older!.payload, { view: 'events', filter: { limit: 10 } });
  t.is(newest!.actor_id, auditor.id);

  // The page: filters in the form, one row per event, and a link to the next page by seq.
  const page = await (await auditor.client.call('GET', '/audit/log?actor=acct-b&action=auth.&limit=5', undefined, { accept: 'text/html' })).text();
  const rows = [...page.matchAll(/<tr data-seq="(\d+)"/g)].map((m) => Number(m[1]));
  const want = ((await a.db.knex('audit.events').where({ actor_id: 'acct-b' }).where('action', 'like', 'auth.%').orderBy('seq', 'desc').limit(5).pluck('seq')) as string[]).map(Number);
  t.deepEqual(rows, want);
  t.regex(page, new RegExp(`id="next-page" href="/audit/log\\?actor=acct-b&amp;action=auth.&amp;limit=5&amp;before=${want.at(-1)}"`));
  t.regex(page, /value="acct-b"/);
  const bad = await auditor.client.call('GET', '/audit/log?to=yesterday&lang=en', undefined, { accept: 'text/html' });
  t.is(bad.status, 422);
  t.regex(await bad.text(), /query\.to/, 'the page names the field');
  const nl = await auditor.client.call('GET', '/audit/log?to=yesterday&lang=nl', undefined, { accept: 'text/html' });
  t.regex(await nl.text(), /role="alert">Tot en met \(datum\) of tot \(ISO-tijd\): heeft geen van de toegestane vormen/, 'in Dutch by its label');
});
