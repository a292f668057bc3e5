import test from 'ava';
import { coveredColumns } from '../../src/mydata/collect.js';
import { COVERED, EXCLUDED, personColumns, uncoveredColumns } from '../../src/mydata/coverage.js';
import { exportDocument } from '../../src/mydata/schema.js';
import { startTestApp } from '../helpers/app.js';
import { useTestDatabase } from '../helpers/db.js';
import { buildEmployee } from '../helpers/factories.js';

/**
 * Every table that holds a person's id is covered by the "My data" export or excluded
 * with a reason. The columns come from PostgreSQL's catalogue of the fully migrated
 * database (references to accounts(id), and text columns named like the person ids
 * the audit log, keys and mail use), so a table added by a later migration fails here
 * until someone decides where it belongs. What counts as covered is what the running
 * appliance says it reads (`sources`), so a source another domain plugs in (the
 * request register) counts once the composition root wires it, and only then.
 */

test('every column holding a person’s id is exported by the running appliance or excluded with a reason', async (t) => {
  const a = await startTestApp(t);
  const found = await personColumns(a.db.knex);
  // The catalogue read sees what it must (a check over nothing would pass trivially).
  for (const c of ['public.timesheet_days.owner_id', 'public.time_entries.owner_id', 'public.sessions.account_id', 'audit.events.subject_id', 'audit.events.actor_id', 'public.data_keys.subject', 'public.mail_outbox.recipients', 'public.mydata_exports.account_id']) {
    t.true(found.includes(c), c);
  }
  const emp = await buildEmployee(a);
  const summary = await emp.client.json<{ sources: Record<string, string> }>('GET', '/api/v1/me/data');
  t.is(summary.status, 200);
  t.deepEqual(await uncoveredColumns(a.db.knex, summary.body.sources), [], 'cover these in src/mydata (collect + COVERED, or a wired source) or list them in EXCLUDED with the reason');
});

test('the lists hold no stale or contradictory names, and each covered column feeds a section of the export', async (t) => {
  const db = await useTestDatabase(t);
  const found = new Set(await personColumns(db.knex));
  t.deepEqual(Object.keys(COVERED).filter((c) => !found.has(c)), [], 'covered columns that no longer exist');
  t.deepEqual(Object.keys(EXCLUDED).filter((c) => !found.has(c)), [], 'excluded columns that no longer exist');
  t.deepEqual(Object.keys(COVERED).filter((c) => c in EXCLUDED), [], 'a column is either covered or excluded');
  const sections = new Set(Object.keys(exportDocument.shape));
  t.deepEqual(Object.values(COVERED).filter((s) => !sections.has(s)), [], 'every section named is part of the export document');
  for (const [c, reason] of Object.entries(EXCLUDED)) t.true(reason.length > 20, `${c} says why it is excluded`);
});

test('a new table referring to accounts, or a new text column named like a person id, fails the check until covered', async (t) => {
  const db = await useTestDatabase(t);
  await db.knex.raw('CREATE TABLE future_notes (id serial PRIMARY KEY, written_for uuid REFERENCES accounts (id))');
  await db.knex.raw('CREATE TABLE future_log (id serial PRIMARY KEY, changed_by text)');
  const register = ['public.privacy_requests.subject_id']; // covered by the wired request register
  const capture = { columns: ['public.capture_events.account_id', 'public.capture_days.account_id', 'public.capture_buckets.account_id', 'public.capture_settings.account_id'], files: () => Promise.resolve({}) };
  t.true((await uncoveredColumns(db.knex, coveredColumns({ requests: { columns: register, list: () => Promise.resolve([]) } }))).includes('public.capture_events.account_id'), 'raw capture counts only once its source is wired');
  const missing = await uncoveredColumns(db.knex, coveredColumns({ capture, requests: { columns: register, list: () => Promise.resolve([]) } }));
  t.deepEqual(missing, ['public.future_log.changed_by', 'public.future_notes.written_for']);
  // A source another domain plugs in (as the request register does) covers its columns.
  const wired = coveredColumns({ capture, requests: { columns: [...register, 'public.future_notes.written_for', 'public.future_log.changed_by'], list: () => Promise.resolve([]) } });
  t.deepEqual(await uncoveredColumns(db.knex, wired), []);
});
