import test from 'ava';
import { loadActor } from '../../src/identity/auth-service.js';
import { canRead, visibleDays, type DayState } from '../../src/timesheets/policy.js';
import { inWall, listDays, walled } from '../../src/timesheets/repository.js';
import { at, daysAgo, person, timesheetApp, type Person } from './helpers.js';

/**
 * The visibility matrix of PRODUCT.md, table-driven: owner, admin with the owner in
 * scope, admin of another team, auditor, operator × draft, submitted, returned,
 * approved × every endpoint that reads, lists or counts time data, plus direct-id
 * probing of write endpoints. "hidden" means 404 for single objects and absence from
 * lists and counts.
 */

type Who = 'owner' | 'admin_in_scope' | 'admin_other_team' | 'auditor' | 'operator';
const WHO: Who[] = ['owner', 'admin_in_scope', 'admin_other_team', 'auditor', 'operator'];
const STATES: DayState[] = ['draft', 'submitted', 'returned', 'approved'];

/** The matrix itself: may `who` read a day in `state`? */
function expectedRead(who: Who, state: DayState): boolean {
  if (who === 'owner') return true;
  return who === 'admin_in_scope' && state !== 'draft';
}

async function world(t: Parameters<typeof timesheetApp>[0]) {
  const { a, projectId } = await timesheetApp(t);
  const people: Record<Who, Person> = {
    owner: await person(a, { inTeam: 'team-a' }),
    admin_in_scope: await person(a, { adminOf: 'team-a' }),
    admin_other_team: await person(a, { adminOf: 'team-b' }),
    auditor: await person(a, { roles: ['auditor'] }),
    operator: await person(a, { roles: ['operator'] }),
  };
  // The other admin has people of their own, so their lists are not empty by accident.
  const bystander = await person(a, { inTeam: 'team-b' });
  const owner = people.owner;
  const days = {} as Record<DayState, { date: string; id: string; entryId: string; note: string }>;
  for (const [i, state] of STATES.entries()) {
    const date = daysAgo(i + 1);
    const note = `secret-note-${state}-${i}`;
    const e = await owner.c.json<{ id: string }>('POST', '/api/v1/me/entries', { start: at(date, '09:00'), end: at(date, '12:00'), project_id: projectId, note });
    if (e.status !== 201) throw new Error(JSON.stringify(e.body));
    const day = await owner.c.json<{ id: string }>('GET', `/api/v1/me/days/${date}`);
    days[state] = { date, id: day.body.id, entryId: e.body.id, note };
    if (state !== 'draft') t.is((await owner.c.json('POST', `/api/v1/me/days/${date}/submit`)).status, 200);
  }
  const b = await bystander.c.json('POST', '/api/v1/me/entries', { date: daysAgo(1), duration_minutes: 60, project_id: projectId });
  t.is(b.status, 201);
  t.is((await bystander.c.json('POST', `/api/v1/me/days/${daysAgo(1)}/submit`)).status, 200);
  t.is((await people.admin_in_scope.c.json('POST', `/api/v1/days/${days.approved.id}/approve`)).status, 200);
  t.is((await people.admin_in_scope.c.json('POST', `/api/v1/days/${days.returned.id}/return`, { comment: 'missing the afternoon' })).status, 200);
  return { a, people, days, projectId };
}

test('visibility matrix: every reading, listing and counting endpoint, and direct-id probing', async (t) => {
  const { a, people, days } = await world(t);
  const states = await a.db.knex('timesheet_days').where({ owner_id: people.owner.id }).orderBy('date', 'desc').pluck('state');
  t.deepEqual(states, STATES, 'the four days are in the four states');

  for (const who of WHO) {
    const c = people[who].c;
    for (const state of STATES) {
      const d = days[state];
      const visible = expectedRead(who, state);
      const label = `${who} × ${state}`;

      // Single read by id.
      const byId = await c.json<{ entries: Array<{ note: string }> }>('GET', `/api/v1/days/${d.id}`);
      t.is(byId.status, visible ? 200 : 404, `GET /days/:id ${label}`);
      if (visible) t.true(byId.body.entries.some((e) => e.note === d.note), `${label} sees the entries`);

      // Lists and counts (the inbox, filtered by state and by person).
      if (state !== 'draft') {
        for (const q of [`?state=${state}`, `?state=${state}&person=${people.owner.id}`, `?state=${state}&from=${d.date}&to=${d.date}`]) {
          const list = await c.json<{ total: number; days: Array<{ id: string }> }>('GET', `/api/v1/days${q}`);
          t.is(list.status, 200);
          const listed = list.body.days.some((x) => x.id === d.id);
          // Owners find their own days under /me, never in the review list.
          t.is(listed, visible && who !== 'owner', `GET /days${q} ${label}`);
          t.is(list.body.total, list.body.days.length);
        }
      }

      // The owner's entry by id, and the /me endpoints of the caller, which only ever hold the caller's own data.
      const entry = await c.json('GET', `/api/v1/me/entries/${d.entryId}`);
      t.is(entry.status, who === 'owner' ? 200 : 404, `GET /me/entries/:id ${label}`);
      const myDay = await c.json<{ owner_id: string; entries: Array<{ note: string }> }>('GET', `/api/v1/me/days/${d.date}`);
      t.is(myDay.body.owner_id, people[who].id);
      t.is(myDay.body.entries.some((e) => e.note === d.note), who === 'owner', `GET /me/days/:date ${label}`);
      const range = await c.json<{ days: Array<{ entries: Array<{ note: string }> }> }>('GET', `/api/v1/me/days?from=${d.date}&to=${d.date}`);
      t.is(range.body.days.flatMap((x) => x.entries).some((e) => e.note === d.note), who === 'owner', `GET /me/days ${label}`);

      // Direct-id probing of writes: nobody but the owner touches entries; review actions answer 404 outside the scope.
      if (who !== 'owner') {
        t.is((await c.json('PATCH', `/api/v1/me/entries/${d.entryId}`, { note: 'x' })).status, 404, `PATCH entry ${label}`);
        t.is((await c.call('DELETE', `/api/v1/me/entries/${d.entryId}`)).status, 404, `DELETE entry ${label}`);
        // The one allowed cell (the scoped admin reviewing a submitted day) is the workflow test's business.
        if (!(visible && state === 'submitted')) {
          for (const [path, body] of [[`/api/v1/days/${d.id}/return`, { comment: 'probe' }], [`/api/v1/days/${d.id}/approve`, undefined], ['/api/v1/days/approve', { ids: [d.id] }]] as const) {
            const r = await c.json('POST', path, body);
            t.is(r.status, visible ? 409 : 404, `POST ${path} ${label}`);
          }
          if (state !== 'approved' || !visible) t.is((await c.json('POST', `/api/v1/days/${d.id}/reopen`, { reason: 'probe' })).status, visible ? 409 : 404, `reopen ${label}`);
        }
      }
    }
  }
  // Nothing the probes did changed a day.
  const after = await a.db.knex('timesheet_days').where({ owner_id: people.owner.id }).orderBy('date', 'desc').pluck('state');
  t.deepEqual(after, STATES);
});

test('the predicate, the query scope and the database policy agree for every actor and state', async (t) => {
  const { a, people } = await world(t);
  const db = a.db.knex;
  const all = await inWall(db, 'bypass', (w) => listDays(w, (q) => q, {}));
  t.true(all.length >= 5);
  for (const who of WHO) {
    const actor = await loadActor(db, people[who].id);
    const byPredicate = all.filter((d) => canRead(actor, { ownerId: d.owner_id, state: d.state, scopeTeams: d.scope_teams })).map((d) => d.id).sort();
    const byScope = (await inWall(db, 'bypass', (w) => listDays(w, visibleDays(actor), {}))).map((d) => d.id).sort();
    // A route that forgets the scope altogether: the database still filters.
    const byDatabase = (await inWall(db, actor.accountId, (w) => listDays(w, (q) => q, {}))).map((d) => d.id).sort();
    t.deepEqual(byScope, byPredicate, `${who}: scope = predicate`);
    t.deepEqual(byDatabase, byPredicate, `${who}: row security = predicate`);
    const entries = await inWall(db, actor.accountId, (w) => walled(w, (trx) => trx('time_entries').select('owner_id', 'first_date')));
    const ofOwner = entries.filter((e) => e.owner_id === people.owner.id).length;
    t.is(ofOwner, who === 'owner' ? 4 : who === 'admin_in_scope' ? 3 : 0, `${who}: the owner's entries visible through row security`);
  }
  // No actor set at all: nothing is visible, and nothing can be written.
  const none = await db.transaction(async (trx) => {
    await trx.raw('SET LOCAL ROLE uurwerk_rls');
    return trx('timesheet_days').count({ n: '*' }).first();
  });
  t.is(Number(none!.n), 0);
  await t.throwsAsync(
    db.transaction(async (trx) => {
      await trx.raw(`SELECT set_config('uurwerk.actor', ?, true)`, [people.admin_in_scope.id]);
      await trx.raw('SET LOCAL ROLE uurwerk_rls');
      await trx('time_entries').insert({ id: '00000000-0000-4000-8000-000000000001', owner_id: people.owner.id, first_date: daysAgo(1), last_date: daysAgo(1), details: 'x' });
    }),
    { message: /row-level security/ },
  );
});

test('the scope is the one recorded at submission: moving the person later neither widens nor narrows it', async (t) => {
  const { a, people, days } = await world(t);
  const newAdmin = await person(a, { adminOf: 'team-c' });
  await a.db.knex('team_scope_members').where({ account_id: people.owner.id }).update({ team: 'team-c' });
  t.is((await newAdmin.c.json('GET', `/api/v1/days/${days.submitted.id}`)).status, 404);
  t.is((await people.admin_in_scope.c.json('GET', `/api/v1/days/${days.submitted.id}`)).status, 200);
});

test('every read by someone else is audited, and the owner sees who read what', async (t) => {
  const { a, people, days } = await world(t);
  const before = await a.db.knex('audit.events').where({ action: 'privacy.personal_data.read', subject_id: people.owner.id }).count({ n: '*' }).first();
  t.is((await people.admin_in_scope.c.json('GET', `/api/v1/days/${days.submitted.id}`)).status, 200);
  t.is((await people.owner.c.json('GET', `/api/v1/days/${days.submitted.id}`)).status, 200, 'the owner reading their own day is not a foreign read');
  const after = await a.db.knex('audit.events').where({ action: 'privacy.personal_data.read', subject_id: people.owner.id }).count({ n: '*' }).first();
  t.is(Number(after!.n) - Number(before!.n), 1);
  const reads = await people.owner.c.json<{ reads: Array<{ reader_id: string; object_id: string; what: string }> }>('GET', '/api/v1/me/data-reads');
  t.is(reads.status, 200);
  t.true(reads.body.reads.some((r) => r.reader_id === people.admin_in_scope.id && r.object_id === days.submitted.id && r.what === 'day'));
  t.true(reads.body.reads.every((r) => r.reader_id !== people.owner.id));
  // Nobody else sees the owner's reads.
  const adminReads = await people.admin_in_scope.c.json<{ reads: unknown[] }>('GET', '/api/v1/me/data-reads');
  t.deepEqual(adminReads.body.reads, []);
});
