import test from 'ava';
import type { Knex } from '../../src/platform/db.js';
import type { TestApp } from '../helpers/app.js';
import { onWire } from '../helpers/wire.js';
import { at, daysAgo, person, timesheetApp, type Person } from './helpers.js';

/**
 * Round-trip budgets (issue #8): every message the appliance's database connections
 * send while one request runs is counted on the wire, BEGIN and COMMIT included (in a
 * message of their own or riding with a statement), and a route that grows past its
 * budget fails here. The inbox must cost a fixed number whatever the number of days.
 */

/**
 * Messages a route may spend after authentication. Day and week views meet the
 * issue's budget (5). Entry create (issue 11): the first statement with BEGIN in its
 * message (actor, role, time zone, project, task and the owner's data keys), the insert
 * (which locks the days and reads the day's other entries for the over-the-limit
 * check), and the audit append with the COMMIT in its message = 3 once audit events are
 * staged by one insert the row-security role may make (the audit domain's group commit,
 * `audit.pending`); with the chained append in the transaction it is 7 (a role switch
 * back, lock, head read, insert, COMMIT). An admin's day read is a day view plus its audited read, and (issue 16) the
 * mark that a reviewer opened it, which ends the owner's take-back.
 */
const BUDGET = { entryCreate: 3, entryCreateChained: 7, dayView: 5, weekView: 5, adminDayRead: 10, inbox: 10 } as const;

/** Whether audit events are staged (one insert) rather than chained inside the caller's transaction. */
async function auditStaged(db: Knex): Promise<boolean> {
  const { rows } = await db.raw<{ rows: Array<{ ok: boolean }> }>(`SELECT to_regclass('audit.pending') IS NOT NULL AS ok`);
  return rows[0]!.ok;
}

/** The audit chain pass reads the staged events: its transaction is the audit domain's, after the request's commit. */
const CHAIN_PASS = /from "?audit"?\."?pending"?/i;

/** The statements each connection has PREPAREd, over all requests of the file: a second PREPARE of one is a fault. */
const preparedOn = new Map<string, Set<string>>();

/**
 * The messages the app's database connections carry during `fn` (the test runs requests
 * one at a time; the file's tests run side by side, so only the connections the app's
 * knex used count), leaving out the audit chain pass (group commit) that chains the
 * request's staged events in a transaction of its own once the request's has committed,
 * and a PREPARE, which a pooled connection sends once for a statement, not per request (a
 * second PREPARE of one name on the same connection fails the route).
 * `knexEvents` is what knex itself reported, for the log.
 */
async function counted(db: Knex, fn: () => Promise<void>): Promise<{ n: number; sql: string[]; knexEvents: number; preparedAgain: string[] }> {
  const uids = new Set<string>();
  let knexEvents = 0;
  const listener = (q: { __knexUid?: string }) => {
    knexEvents++;
    if (q.__knexUid) uids.add(q.__knexUid);
  };
  const wire: Array<{ uid?: string; text: string }> = [];
  db.on('query', listener);
  const stop = onWire((text, uid) => wire.push({ uid, text }));
  try {
    await fn();
  } finally {
    stop();
    db.off('query', listener);
  }
  const inPass = new Set<string | undefined>();
  const sql: string[] = [];
  const preparedAgain: string[] = [];
  for (const m of wire) {
    if (!m.uid || !uids.has(m.uid)) continue;
    const prepared = /^PREPARE (\S+)/.exec(m.text)?.[1];
    if (prepared) {
      const names = preparedOn.get(m.uid) ?? preparedOn.set(m.uid, new Set()).get(m.uid)!;
      if (names.has(prepared)) preparedAgain.push(prepared);
      names.add(prepared);
      continue;
    }
    // A pass's messages read or delete staged rows, but for the lone ROLLBACK of one that found none.
    if (CHAIN_PASS.test(m.text)) {
      if (/^BEGIN\b/i.test(m.text)) inPass.add(m.uid);
      else inPass.delete(m.uid);
      continue;
    }
    if (inPass.delete(m.uid) && m.text === 'ROLLBACK') continue;
    sql.push(m.text);
  }
  return { n: sql.length, sql, knexEvents, preparedAgain };
}

// The session check (identity's request pipeline) runs before the route and is not
// the route's to spend: its leading statements on these tables are counted apart
// (one statement, or none while the session is cached: test/identity/session-cache.test.ts).
const AUTHENTICATION = /^\s*select [\s\S]* from "?(sessions|role_assignments|totp_factors)\b/i;

/** A route's statement count (after authentication); fails the test on any non-2xx answer. */
async function countRequest(t: { log: (...a: unknown[]) => void }, a: TestApp, label: string, p: Person, method: string, path: string, body?: unknown): Promise<number> {
  const { n, sql, knexEvents, preparedAgain } = await counted(a.app.db, async () => {
    const r = await p.c.json(method, path, body);
    if (r.status >= 300) throw new Error(`${label}: ${r.status} ${JSON.stringify(r.body)}`);
  });
  if (preparedAgain.length) throw new Error(`${label}: PREPAREd again on the same connection: ${preparedAgain.join(', ')}`);
  let auth = 0;
  while (auth < sql.length && AUTHENTICATION.test(sql[auth]!)) auth++;
  t.log(`${label}: ${n - auth} messages (+${auth} authenticating; knex reported ${knexEvents} statements)\n  ${sql.slice(auth).map((q) => q.replace(/\s+/g, ' ').slice(0, 140)).join('\n  ')}`);
  return n - auth;
}

/** Monday..Sunday of the week before last (all within the allowed window). */
function lastWeek(): { from: string; to: string } {
  const d = new Date(`${daysAgo(14)}T12:00:00Z`);
  const monday = new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * 86400_000);
  const sunday = new Date(monday.getTime() + 6 * 86400_000);
  return { from: monday.toISOString().slice(0, 10), to: sunday.toISOString().slice(0, 10) };
}

test('entry create, day view, week view and an admin day read stay within their round-trip budgets', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const owner = await person(a, { inTeam: 'team-a' });
  const admin = await person(a, { adminOf: 'team-a' });
  const date = daysAgo(2);
  // Warm-up: the first entry makes the owner's data key for the year; a later create reuses it.
  const first = await owner.c.json('POST', '/api/v1/me/entries', { start: at(date, '08:00'), end: at(date, '10:00'), project_id: projectId, note: 'first' });
  t.is(first.status, 201);

  const create = await countRequest(t, a, 'entry create', owner, 'POST', '/api/v1/me/entries', { start: at(date, '10:00'), end: at(date, '12:00'), project_id: projectId, note: 'second' });
  const day = await countRequest(t, a, 'day view', owner, 'GET', `/api/v1/me/days/${date}`);
  const w = lastWeek();
  const week = await countRequest(t, a, 'week view', owner, 'GET', `/api/v1/me/days?from=${w.from}&to=${w.to}`);

  const sub = await owner.c.json<{ id: string }>('POST', `/api/v1/me/days/${date}/submit`);
  t.is(sub.status, 200);
  const adminDay = await countRequest(t, a, 'admin day read', admin, 'GET', `/api/v1/days/${sub.body.id}`);

  t.log(`counts: create ${create}, day ${day}, week ${week}, admin day ${adminDay}`);
  const createBudget = (await auditStaged(a.db.knex)) ? BUDGET.entryCreate : BUDGET.entryCreateChained;
  t.true(create <= createBudget, `entry create: ${create} statements, budget ${createBudget}`);
  t.true(day <= BUDGET.dayView, `day view: ${day} statements, budget ${BUDGET.dayView}`);
  t.true(week <= BUDGET.weekView, `week view: ${week} statements, budget ${BUDGET.weekView}`);
  t.true(adminDay <= BUDGET.adminDayRead, `admin day read: ${adminDay} statements, budget ${BUDGET.adminDayRead} (a day view and its audited read)`);
});

test('the admin inbox costs the same number of statements for 5 and for 50 submitted days', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const admin = await person(a, { adminOf: 'team-a' });
  const submitDays = async (p: Person, n: number) => {
    for (let i = 1; i <= n; i++) {
      const date = daysAgo(i);
      const e = await p.c.json('POST', '/api/v1/me/entries', { start: at(date, '08:00'), end: at(date, '12:00'), project_id: projectId, note: `n${i}` });
      if (e.status !== 201) throw new Error(JSON.stringify(e.body));
      const s = await p.c.json('POST', `/api/v1/me/days/${date}/submit`);
      if (s.status !== 200) throw new Error(JSON.stringify(s.body));
    }
  };
  await submitDays(await person(a, { inTeam: 'team-a' }), 5);
  const five = await countRequest(t, a, 'inbox, 5 days', admin, 'GET', '/api/v1/days');
  for (let i = 0; i < 9; i++) await submitDays(await person(a, { inTeam: 'team-a' }), 5);
  const inbox = await admin.c.json<{ total: number }>('GET', '/api/v1/days');
  t.is(inbox.body.total, 50);
  const fifty = await countRequest(t, a, 'inbox, 50 days', admin, 'GET', '/api/v1/days');
  t.log(`inbox: ${five} statements for 5 days, ${fifty} for 50`);
  t.is(fifty, five, 'a fixed number of statements whatever the number of days');
  t.true(fifty <= BUDGET.inbox, `inbox: ${fifty} statements, budget ${BUDGET.inbox}`);
});
