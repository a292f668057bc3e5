import test from 'ava';
import { open } from '../../src/reports/cells.js';
import { foldPending, storeKeysIn } from '../../src/reports/store.js';
import type { TestApp } from '../helpers/app.js';
import { erasePerson } from '../../src/retention/erase.js';
import { systemClock } from '../../src/platform/clock.js';
import { daysAgo, person } from '../timesheets/helpers.js';
import { recordAndSubmit, reportsApp } from './helpers.js';

/** The minutes the store holds in all (opening every present cell with the store's key). */
async function heldMinutes(a: TestApp): Promise<number> {
  const keys = await a.app.db.transaction((trx) => storeKeysIn({ keys: a.app.keys }, trx));
  const rows = (await a.db.knex('report_cells').where({ present: true }).select(a.db.knex.raw("to_char(period, 'YYYY-MM-DD') AS period, to_char(month, 'YYYY-MM-DD') AS month, teams, project_id, task_id, person, state"))) as Array<{ period: string; month: string; teams: string[]; project_id: string; task_id: string; person: Buffer; state: Buffer }>;
  return rows.reduce((sum, r) => sum + open(keys, r, r.state).m, 0);
}

// Lifting a restriction brings the person's report figures back (issue 13): their
// submitted and approved days are recorded again in the lift's transaction, audited,
// and never counted twice — whether or not a fold ran between restriction and lift.

test('lifting a restriction records the person’s submitted and approved days again; audited; only the privacy officer may lift', async (t) => {
  const { a, projectId, taskId } = await reportsApp(t);
  const deps = { db: a.app.db, config: a.config, keys: a.app.keys };
  const admin = await person(a, { adminOf: 'ward-r' });
  const ann = await person(a, { inTeam: 'ward-r' });
  const bob = await person(a, { inTeam: 'ward-r' });
  const dpo = await person(a, { roles: ['dpo'] });
  const auditor = await person(a, { roles: ['auditor'] });
  const present = async () => Number((await a.db.knex('report_cells').where({ present: true }).count({ n: '*' }))[0]!.n);
  const d1 = daysAgo(2);
  const d2 = daysAgo(3);
  const approved = await recordAndSubmit(ann, { projectId, taskId, date: d1 });
  t.is((await admin.c.json('POST', `/api/v1/days/${approved.id}/approve`)).status, 200);
  await recordAndSubmit(ann, { projectId, taskId, date: d2 });
  await recordAndSubmit(bob, { projectId, taskId, date: d1 });
  await foldPending(deps, { force: true });
  const before = await present();
  t.is(await heldMinutes(a), 3 * 480, 'two days of Ann (one approved, one submitted), one of Bob');

  await erasePerson({ db: a.db.knex, audit: a.app.services.audit, handlers: [], clock: systemClock }, { personId: ann.id, reason: 'test', dryRun: false, actorId: 'system:test' });
  await foldPending(deps, { force: true });
  t.is(await present(), 1, 'restricted: only Bob counts');

  // Nobody but the privacy officer lifts.
  const lift = (c: typeof dpo.c, id = ann.id, body: unknown = { reason: 'objection upheld; person told on 1 March' }) => c.json<{ days_recorded: number; error?: { details: Array<{ field: string }> } }>('POST', `/api/v1/privacy/restrictions/${id}/lift`, body);
  t.is((await lift(auditor.c)).status, 403);
  t.is((await lift(admin.c)).status, 403);
  t.is((await lift(ann.c)).status, 403);
  const bad = await lift(dpo.c, ann.id, {});
  t.is(bad.status, 422);
  t.true(bad.body.error!.details.some((d) => d.field.endsWith('reason')));
  t.is((await lift(dpo.c, '00000000-0000-4000-8000-000000000000')).status, 404);
  t.truthy((await a.db.knex('accounts').where({ id: ann.id }).first('restricted_at')).restricted_at, 'refused lifts change nothing');

  const ok = await lift(dpo.c);
  t.is(ok.status, 200, JSON.stringify(ok.body));
  t.is(ok.body.days_recorded, 2);
  t.is((await a.db.knex('accounts').where({ id: ann.id }).first('restricted_at')).restricted_at, null);
  t.is(Number((await a.db.knex('report_inbox').count({ n: '*' }))[0]!.n), 3, 'an "empty her cells" envelope and one per day, waiting for the fold like a submit');
  t.is(await heldMinutes(a), 480, 'nothing in the store itself is written in the lift');
  await foldPending(deps, { force: true });
  t.is(await present(), before, 'her figures are back');
  t.is(await heldMinutes(a), 3 * 480, 'each day once');
  const events = (await a.db.knex('audit.events').where({ action: 'privacy.restriction.lifted' }).select('actor_id', 'subject_id', 'payload')) as Array<{ actor_id: string; subject_id: string; payload: Record<string, unknown> }>;
  t.is(events.length, 1);
  t.like(events[0]!, { actor_id: dpo.id, subject_id: ann.id, payload: { fields: ['restricted_at'], days_recorded: 2 } });
  t.false(JSON.stringify(events[0]!.payload).includes('objection upheld'), 'the reason is not in the clear payload');
  t.is((await lift(dpo.c)).status, 409, 'nothing left to lift');
  // Her days are in the admin inbox again.
  const inbox = await admin.c.json<{ days: Array<{ owner_id: string }> }>('GET', '/api/v1/days');
  t.true(inbox.body.days.some((d) => d.owner_id === ann.id));
});

test('a lift before any fold ran since the restriction counts nothing twice: what the store still holds for the person, and their waiting envelopes, go first', async (t) => {
  const { a, projectId, taskId } = await reportsApp(t);
  const deps = { db: a.app.db, config: a.config, keys: a.app.keys };
  const ann = await person(a, { inTeam: 'ward-r' });
  const dpo = await person(a, { roles: ['dpo'] });
  await recordAndSubmit(ann, { projectId, taskId, date: daysAgo(2) });
  await foldPending(deps, { force: true });
  t.is(await heldMinutes(a), 480);
  await recordAndSubmit(ann, { projectId, taskId, date: daysAgo(3) }); // waiting in the inbox
  await erasePerson({ db: a.db.knex, audit: a.app.services.audit, handlers: [], clock: systemClock }, { personId: ann.id, reason: 'test', dryRun: false, actorId: 'system:test' });
  // No fold between restriction and lift.
  const ok = await dpo.c.json<{ days_recorded: number }>('POST', `/api/v1/privacy/restrictions/${ann.id}/lift`, { reason: 'lifted' });
  t.is(ok.status, 200, JSON.stringify(ok.body));
  t.is(ok.body.days_recorded, 2);
  await foldPending(deps, { force: true });
  t.is(await heldMinutes(a), 2 * 480, 'her two days, each once: the folded one was emptied and the waiting one dropped before both were recorded again');
});

test('a restriction request granted in full restricts the person (out of reports at the next fold); partly granted leaves it to its actions; the lift brings the figures back', async (t) => {
  const { a, projectId, taskId } = await reportsApp(t);
  const deps = { db: a.app.db, config: a.config, keys: a.app.keys };
  const ann = await person(a, { inTeam: 'ward-r' });
  const bob = await person(a, { inTeam: 'ward-r' });
  const dpo = await person(a, { roles: ['dpo'] });
  await recordAndSubmit(ann, { projectId, taskId, date: daysAgo(2) });
  await foldPending(deps, { force: true });
  const restricted = async (id: string) => (await a.db.knex('accounts').where({ id }).first('restricted_at')).restricted_at !== null;
  const file = async (who: typeof ann) => (await who.c.json<{ id: string }>('POST', '/api/v1/me/privacy-requests', { kind: 'restriction' })).body.id;
  const partly = await dpo.c.json('POST', `/api/v1/privacy/requests/${await file(bob)}/decision`, { decision: 'partly', ground: 'fiscal duty', actions: 'drafts only' });
  t.is(partly.status, 200, JSON.stringify(partly.body));
  t.false(await restricted(bob.id), 'partly: carried out as its actions say');
  const grant = await dpo.c.json<{ execution: string }>('POST', `/api/v1/privacy/requests/${await file(ann)}/decision`, { decision: 'grant' });
  t.is(grant.status, 200, JSON.stringify(grant.body));
  t.is(grant.body.execution, 'done');
  t.true(await restricted(ann.id));
  const decided = (await a.db.knex('audit.events').where({ action: 'privacy.request.decided', subject_id: ann.id }).first('payload')) as { payload: Record<string, unknown> };
  t.like(decided.payload, { kind: 'restriction', decision: 'grant', restricted: true });
  await foldPending(deps, { force: true });
  t.is(await heldMinutes(a), 0, 'her figures left the store');
  t.is((await dpo.c.json('POST', `/api/v1/privacy/restrictions/${ann.id}/lift`, { reason: 'objection resolved' })).status, 200);
  await foldPending(deps, { force: true });
  t.is(await heldMinutes(a), 480, 'and came back with the lift');
});
