/**
 * `uurwerk demo:seed`: an empty evaluation install gets a small organisation through
 * the real services; two of its people then take a day through submit → approve. The
 * seed refuses a directory site and an install that holds anything; passwords go to a
 * 0600 file, never to the terminal.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { demoSeedObstacle, DemoSeedRefused, seedDemo } from '../../src/app/demo-seed.js';
import { startTestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/db.js';
import { signIn } from '../helpers/factories.js';
import { testLogger } from '../helpers/log.js';

test('demo:seed fills an empty install with every day state; two seeded people then submit and approve a day', async (t) => {
  t.timeout(400_000);
  const a = await startTestApp(t);
  const deps = { db: a.db.knex, config: a.config, keys: a.app.keys, audit: a.app.services.audit, logger: testLogger('demo') };
  const r = await seedDemo(deps, 'cli:test', { weeks: 4 });
  t.is(r.people.length, 13);
  t.deepEqual(r.teams, ['Support', 'Development', 'Sales']);
  for (const state of ['draft', 'submitted', 'returned', 'approved'] as const) t.true(r.days[state] > 0, state);

  const inDb = await a.db.knex.transaction(async (trx) => {
    await trx.raw(`SET LOCAL uurwerk.bypass = 'on'`);
    const states = await trx('timesheet_days').groupBy('state').select('state', trx.raw('count(*)::int AS n'));
    const entry = await trx('time_entries').first('details');
    return { states: Object.fromEntries(states.map((s: { state: string; n: number }) => [s.state, s.n])), details: String(entry.details) };
  });
  t.deepEqual(inDb.states, { draft: r.days.draft, submitted: r.days.submitted, returned: r.days.returned, approved: r.days.approved });
  t.notRegex(inDb.details, /Demo entry/, 'entries rest encrypted');
  t.true(Number((await a.db.knex('report_inbox').count<{ n: string }[]>({ n: '*' }))[0]!.n) + Number((await a.db.knex('report_cells').count<{ n: string }[]>({ n: '*' }))[0]!.n) > 0, 'the report store was told');
  await a.app.services.audit.flush(); // the seed ran through the services: chain what they staged
  t.true(Number((await a.db.knex('audit.events').where({ action: 'timesheet.day.approved' }).count<{ n: string }[]>({ n: '*' }))[0]!.n) === r.days.approved);
  t.is(await a.db.knex('mail_outbox').first(), undefined, 'demo people have no mail address: nothing is mailed');

  // The whole day workflow as two seeded people: Bram (Support) submits, Sanne (admin of Support) approves.
  const pw = (u: string) => r.people.find((p) => p.username === u)!.password;
  const bram = await signIn(a, { username: 'bram', password: pw('bram') });
  const days = await bram.client.json<{ days: Array<{ date: string; state: string }> }>('GET', `/api/v1/me/days?from=${new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10)}&to=${new Date().toISOString().slice(0, 10)}`);
  t.is(days.status, 200, JSON.stringify(days.body));
  const draft = days.body.days.filter((d) => d.state === 'draft' && d.date).map((d) => d.date).sort().at(-1);
  t.truthy(draft, 'Bram has a draft day');
  const submitted = await bram.client.json<{ id: string; state: string }>('POST', `/api/v1/me/days/${draft}/submit`);
  t.is(submitted.status, 200, JSON.stringify(submitted.body));
  const sanne = await signIn(a, { username: 'sanne', password: pw('sanne') });
  const inbox = await sanne.client.json<{ days: Array<{ id: string; owner_name: string | null }> }>('GET', '/api/v1/days');
  t.true(inbox.body.days.some((d) => d.id === submitted.body.id));
  t.true(inbox.body.days.every((d) => ['Bram Jansen', 'Emma Bakker'].includes(d.owner_name ?? '')), 'only Support in Sanne\'s inbox');
  t.is((await sanne.client.json('POST', `/api/v1/days/${submitted.body.id}/approve`)).status, 200);
  t.is((await bram.client.json<{ state: string }>('GET', `/api/v1/me/days/${draft}`)).body.state, 'approved');
  const daan = await signIn(a, { username: 'daan', password: pw('daan') });
  t.is((await daan.client.json('GET', `/api/v1/days/${submitted.body.id}`)).status, 404, 'another team\'s admin does not see it');

  await t.throwsAsync(() => seedDemo(deps, 'cli:test'), { instanceOf: DemoSeedRefused, message: /13 account\(s\) already/ });
  const withDirectory = { ...a.config, directory: { ...a.config.directory, urls: ['ldaps://dc.example.test'] } };
  t.regex((await demoSeedObstacle(a.db.knex, withDirectory)) ?? '', /a directory is configured \(directory\.urls\)/);
});

test('the demo:seed command writes the passwords to a 0600 file (not the terminal) and refuses a second run', async (t) => {
  t.timeout(400_000);
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-demo-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, `data_dir: ${dir}/data\ndatabase:\n  url: ${db.url}\n`);
  const file = path.join(dir, 'pw.txt');
  const ok = await runCli(['demo:seed', '--config', config, '--weeks', '1', '--passwords-file', file]);
  t.is(ok.code, 0, ok.stderr);
  t.regex(ok.stdout, /demo organisation created: 13 people in 3 teams/);
  t.regex(ok.stdout, /sanne +Sanne de Boer — team admin of Support/);
  t.is(statSync(file).mode & 0o777, 0o600);
  const lines = readFileSync(file, 'utf8').trim().split('\n').slice(1);
  t.is(lines.length, 13);
  for (const line of lines) t.false(ok.stdout.includes(line.split('\t')[1]!), 'no password on the terminal');

  const again = await runCli(['demo:seed', '--config', config, '--passwords-file', file]);
  t.is(again.code, 1);
  t.regex(again.stderr, /demo:seed refused: this install has 13 account\(s\) already/);
  t.is(readFileSync(file, 'utf8').trim().split('\n').length, 14, 'the first run\'s passwords are kept');
});
