import test from 'ava';
import { foldPending } from '../../src/reports/store.js';
import { erasePerson } from '../../src/retention/erase.js';
import { systemClock } from '../../src/platform/clock.js';
import { daysAgo, person } from '../timesheets/helpers.js';
import { recordAndSubmit, reportsApp } from './helpers.js';

test('a restricted person’s days leave the report cells at the next fold, their later figures never enter, and their days drop out of the admin inbox', async (t) => {
  const { a, projectId, taskId } = await reportsApp(t);
  const deps = { db: a.app.db, config: a.config, keys: a.app.keys };
  const admin = await person(a, { adminOf: 'ward-r' });
  const ann = await person(a, { inTeam: 'ward-r' });
  const bob = await person(a, { inTeam: 'ward-r' });
  const present = async () => Number((await a.db.knex('report_cells').where({ present: true }).count({ n: '*' }))[0]!.n);
  const d1 = daysAgo(2);
  await recordAndSubmit(ann, { projectId, taskId, date: d1 });
  await recordAndSubmit(bob, { projectId, taskId, date: d1 });
  t.deepEqual(await foldPending(deps, { force: true }), { folded: 2, waiting: 0 });
  t.is(await present(), 2);
  const d2 = daysAgo(3);
  await recordAndSubmit(ann, { projectId, taskId, date: d2 }); // pending in the inbox when the restriction comes

  // Restriction as a granted erasure sets it: what a legal duty keeps is only stored.
  await erasePerson({ db: a.db.knex, audit: a.app.services.audit, handlers: [], clock: systemClock }, { personId: ann.id, reason: 'test', dryRun: false, actorId: 'system:test' });
  t.truthy((await a.db.knex('accounts').where({ id: ann.id }).first('restricted_at')).restricted_at);

  t.deepEqual(await foldPending(deps, { force: true }), { folded: 1, waiting: 0, restrictedCellsRemoved: 1 }, 'her folded figures are emptied, her pending one left out');
  t.is(await present(), 1, 'only Bob counts');
  t.deepEqual(await foldPending(deps, { force: true }), { folded: 0, waiting: 0 }, 'nothing more to remove');

  const inbox = await admin.c.json<{ days: Array<{ owner_id: string }> }>('GET', '/api/v1/days');
  t.is(inbox.status, 200);
  const owners = inbox.body.days.map((d) => d.owner_id);
  t.true(owners.includes(bob.id));
  t.false(owners.includes(ann.id), 'a restricted person’s days are not in the inbox');
});
