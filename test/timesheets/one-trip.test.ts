import test from 'ava';
import pg from 'pg';
import { createKnex, enablePreparedStatements, type Knex } from '../../src/platform/db.js';
import { inlineSql, oneTrip, sqlLiteral } from '../../src/platform/one-trip.js';
import { WITH_COMMIT } from '../../src/platform/prepared.js';
import { fillPlaceholders } from '../../src/platform/sql-literal.js';
import { inWall, readInWall, walled } from '../../src/timesheets/repository.js';
import { onWire } from '../helpers/wire.js';
import { at, daysAgo, person, timesheetApp } from './helpers.js';

/**
 * One-trip reads (issue 11): the wall's settings and a read travel as one message, and
 * hot statements are prepared once per connection. These tests hold the wall to the
 * same rules as a transaction's: row security applies to the read, prepared or not,
 * the settings end with the message, the read cannot write, and literals cannot break
 * out of their quotes. The reads use a pool of one connection of their own, so every
 * call shares it and what one leaves behind would show in the next.
 */

/**
 * A one-connection pool on the test app's database, closed at teardown; preparing
 * statements (as the appliance's pool does once migrated) unless told otherwise.
 */
function single(t: { teardown(fn: () => Promise<void>): void }, a: { db: { url: string }; config: { database: object } }, opts: { enable?: boolean; prepared_statements?: boolean; warnings?: Array<{ fields: Record<string, unknown>; message: string }> } = {}): Knex {
  const warn = (fields: Record<string, unknown>, message: string) => opts.warnings?.push({ fields, message });
  const db = createKnex({ connectionString: a.db.url }, { database: { ...(a.config.database as Record<string, unknown>), pool_max: 1, prepared_statements: opts.prepared_statements ?? true } } as never, 'uurwerk', { warn } as never);
  if (opts.enable !== false) enablePreparedStatements(db);
  t.teardown(() => db.destroy());
  return db;
}

/**
 * What node-postgres really sends from now until the test ends (each call is one
 * message), below knex and the wrapper. Every client in the process: serial tests only.
 */
function wireMessages(t: { teardown(fn: () => void): void }): string[] {
  const sent: string[] = [];
  t.teardown(onWire((text) => sent.push(text)));
  return sent;
}

test('literals survive quotes, backslashes and array punctuation, prepared or not', async (t) => {
  const { a } = await timesheetApp(t);
  const db = single(t, a);
  const nasty = `it's a \\ "quote", {brace} ; -- not a comment ? ${'$1'}`;
  for (const prepared of [false, true]) {
    const [r] = await oneTrip(db, [{ sql: 'SELECT ?::text AS s, ?::text[] AS arr, ?::int AS n, ?::boolean AS b, ?::text AS z', bindings: [nasty, [nasty, 'plain', ''], 42, true, null], prepared }]);
    t.deepEqual(r!.rows[0], { s: nasty, arr: [nasty, 'plain', ''], n: 42, b: true, z: null });
  }
  t.throws(() => sqlLiteral('nul\0byte'), { message: /NUL/ });
  t.throws(() => sqlLiteral(Number.NaN), { message: /finite/ });
  t.throws(() => inlineSql({ sql: 'SELECT ?, ?', bindings: [1] }), { message: /more placeholders than the 1 values/ });
  t.throws(() => inlineSql({ sql: 'SELECT ?', bindings: [1, 2] }), { message: /1 placeholders for 2 values/ });
});

test('placeholders inside quotes, identifiers, dollar quotes and comments are left alone; unbalanced quoting is refused', async (t) => {
  const { a } = await timesheetApp(t);
  const db = single(t, a);
  const sql = `SELECT '?' AS "a?", E'\\'?' AS b, $x$ ? $x$ AS c, ?::text AS d /* ? */ -- ?
, 1 - ?::int AS e`;
  t.is(fillPlaceholders(sql, '?', ['v', -3]), `SELECT '?' AS "a?", E'\\'?' AS b, $x$ ? $x$ AS c, 'v'::text AS d /* ? */ -- ?
, 1 - '-3'::int AS e`);
  const [r] = await oneTrip(db, [{ sql, bindings: ['v', -3] }]);
  t.deepEqual(r!.rows[0], { 'a?': '?', b: "'?", c: ' ? ', d: 'v', e: 4 });
  t.is(fillPlaceholders(`SELECT $1, '$1', $2`, '$', ['x', null]), `SELECT 'x', '$1', NULL`);
  // A text is scanned once and remembered; its values are not: the same text takes new ones.
  t.is(fillPlaceholders(sql, '?', ['w', 5]), `SELECT '?' AS "a?", E'\\'?' AS b, $x$ ? $x$ AS c, 'w'::text AS d /* ? */ -- ?
, 1 - '5'::int AS e`);
  t.is(fillPlaceholders(`SELECT $1, '$1', $2`, '$', [2, 'y']), `SELECT '2', '$1', 'y'`);
  t.throws(() => fillPlaceholders(sql, '?', ['w']), { message: /more placeholders than the 1 values/ });
  t.throws(() => fillPlaceholders(`SELECT $1, '$1', $2`, '$', ['x']), { message: /no value for \$2/ });
  t.throws(() => fillPlaceholders(`SELECT $0`, '$', ['x']), { message: /no value for \$0/ });
  t.throws(() => fillPlaceholders(`SELECT 'open ?`, '?', [1]), { message: /unbalanced/ });
  t.throws(() => fillPlaceholders(`SELECT 1 /* ?`, '?', [1]), { message: /unbalanced/ });
  await t.throwsAsync(oneTrip(db, [{ sql: 'SELECT ?::int', bindings: [1] }, { sql: `SELECT 'x` }]), { message: /unbalanced/ });
});

test('a one-trip read refuses to run inside a transaction', async (t) => {
  const { a } = await timesheetApp(t);
  const anna = await person(a);
  const db = single(t, a);
  await t.throwsAsync(db.transaction((trx) => readInWall(trx as unknown as Knex, anna.id, { sql: 'SELECT 1' })), { message: /not inside a transaction/ });
});

test('a one-trip read sees only what the wall lets the actor see, and leaves no setting behind', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const anna = await person(a);
  const bob = await person(a);
  const db = single(t, a);
  const date = daysAgo(1);
  for (const [p, n] of [[anna, 2], [bob, 1]] as const) {
    for (let i = 0; i < n; i++) {
      const r = await p.c.json('POST', '/api/v1/me/entries', { start: at(date, `0${i + 1}:00`), end: at(date, `0${i + 1}:30`), project_id: projectId });
      t.is(r.status, 201);
    }
  }
  // No owner filter in the read: only row security narrows it. Repeated, so the prepared
  // statement runs under its cached plan as well as its first ones, alternating actors.
  const all = { sql: 'SELECT count(*)::int AS n, current_user AS who FROM time_entries WHERE first_date <= ?::date', bindings: ['2999-12-31'], prepared: true };
  for (let i = 0; i < 8; i++) {
    for (const [p, n] of [[anna, 2], [bob, 1]] as const) {
      const { rows } = await readInWall<{ n: number; who: string }>(db, p.id, all);
      t.deepEqual(rows[0], { n, who: 'uurwerk_rls' }, `round ${i}`);
    }
  }
  // It ran its generic plan every time (plan_cache_mode in the trip): left to choose, PostgreSQL
  // plans a statement with parameters afresh for its first five runs, and kept doing so for the
  // day view's read on some connections.
  const { rows: plans } = await db.raw<{ rows: Array<{ custom: string; generic: string }> }>(
    `SELECT custom_plans AS custom, generic_plans AS generic FROM pg_prepared_statements WHERE statement LIKE '%FROM time_entries WHERE first_date%'`,
  );
  t.deepEqual(plans.map((p) => [Number(p.custom), Number(p.generic) >= 16]), [[0, true]]);
  const { rows: unprepared } = await readInWall<{ n: number }>(db, anna.id, { ...all, prepared: false });
  t.is(unprepared[0]!.n, 2);

  // The same (only) connection afterwards: its own role, no actor, writable again.
  const { rows: after } = await db.raw<{ rows: Array<{ who: string; actor: string | null; ro: string; pcm: string }> }>(
    `SELECT current_user AS who, nullif(current_setting('uurwerk.actor', true), '') AS actor, current_setting('transaction_read_only') AS ro, current_setting('plan_cache_mode') AS pcm`,
  );
  t.is(after[0]!.pcm, 'auto', 'the generic-plan setting ended with the trip');
  t.not(after[0]!.who, 'uurwerk_rls');
  t.is(after[0]!.actor, null);
  t.is(after[0]!.ro, 'off');
});

test('a one-trip read cannot write, and a failing read leaves nothing and a usable connection', async (t) => {
  const { a } = await timesheetApp(t);
  const anna = await person(a);
  const db = single(t, a);
  const before = await a.db.knex('projects').count<Array<{ count: string }>>('* as count');
  const err = await t.throwsAsync(readInWall(db, anna.id, { sql: `INSERT INTO projects (name) VALUES ('sneaked in') RETURNING id` }));
  t.is((err as { code?: string }).code, '25006'); // read_only_sql_transaction
  const failed = await t.throwsAsync(readInWall(db, anna.id, { sql: 'SELECT 1 / (? - 1)::int AS x', bindings: [1], prepared: true }));
  t.is((failed as { code?: string }).code, '22012'); // division_by_zero
  t.deepEqual(await a.db.knex('projects').count<Array<{ count: string }>>('* as count'), before);
  const { rows } = await readInWall<{ x: number }>(db, anna.id, { sql: 'SELECT 1 / (? - 1)::int AS x', bindings: [2], prepared: true });
  t.is(rows[0]!.x, 1);
});

test('hot statements go out prepared through knex as well, and the wall holds for them across actors', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const anna = await person(a);
  const bob = await person(a);
  const date = daysAgo(1);
  for (const [p, n] of [[anna, 3], [bob, 1]] as const) {
    for (let i = 0; i < n; i++) {
      const r = await p.c.json('POST', '/api/v1/me/entries', { start: at(date, `0${i + 1}:00`), end: at(date, `0${i + 1}:30`), project_id: projectId });
      t.is(r.status, 201);
    }
  }
  const db = single(t, a, { enable: false });
  const count = (actor: string) => inWall(db, actor, (w) => walled(w, (trx) => trx.raw<{ rows: Array<{ n: number }> }>('SELECT count(*)::int AS n FROM time_entries WHERE ?::int = 1', [1])));
  const prepared = async () => (await db.raw<{ rows: Array<{ name: string }> }>(`SELECT name FROM pg_prepared_statements WHERE name LIKE 'uurwerk_k_%'`)).rows.length;

  await count(anna.id);
  await count(anna.id);
  await count(anna.id);
  t.is(await prepared(), 0, 'not before the pool is enabled');
  enablePreparedStatements(db);
  for (let i = 0; i < 10; i++) {
    t.is((await count(anna.id)).rows[0]!.n, 3, `anna, round ${i}`);
    t.is((await count(bob.id)).rows[0]!.n, 1, `bob, round ${i}`);
  }
  t.true(await prepared() >= 1, 'the hot statement is prepared on the connection');
  // With neither actor nor bypass set, the wall shows nothing, prepared plan or not.
  const none = await db.transaction(async (trx) => {
    await trx.raw(`SELECT set_config('role', 'uurwerk_rls', true)`);
    return trx.raw<{ rows: Array<{ n: number }> }>('SELECT count(*)::int AS n FROM time_entries WHERE ?::int = 1', [1]);
  });
  t.is(none.rows[0]!.n, 0);
});

test('a table changed under a prepared statement fails that statement once, and the pool goes on with a fresh connection', async (t) => {
  const { a } = await timesheetApp(t);
  const db = single(t, a);
  await db.raw('CREATE TABLE prep_probe (id int PRIMARY KEY)');
  await db.raw('INSERT INTO prep_probe VALUES (1)');
  const read = () => db.raw<{ rows: Array<Record<string, unknown>> }>('SELECT * FROM prep_probe WHERE id = ?', [1]);
  for (let i = 0; i < 4; i++) await read();
  await db.raw('ALTER TABLE prep_probe ADD COLUMN extra text');
  const err = await t.throwsAsync(read());
  t.is((err as { code?: string }).code, '0A000'); // cached plan must not change result type
  const { rows } = await read();
  t.deepEqual(rows, [{ id: 1, extra: null }]);
});

test('with database.prepared_statements off nothing is prepared, and one-trip reads send their statements whole', async (t) => {
  const { a } = await timesheetApp(t);
  const anna = await person(a);
  const db = single(t, a, { prepared_statements: false });
  const sent: string[] = [];
  db.on('query', (q: { sql: string }) => sent.push(q.sql));
  for (let i = 0; i < 5; i++) {
    await db.raw('SELECT count(*) FROM projects WHERE ?::int = 1', [1]);
    await readInWall(db, anna.id, { sql: 'SELECT ?::int AS x', bindings: [i], prepared: true });
    await inWall(db, anna.id, async () => undefined, { sql: ', ?::int AS y', bindings: [i] });
  }
  t.false(sent.some((q) => /^(PREPARE|EXECUTE) /.test(q)), sent.join('\n'));
  // Nor does a statement marked to ride with the COMMIT wait for it: it runs where it stands, and fails there.
  await db.raw('CREATE TABLE commit_off_probe (id int PRIMARY KEY)');
  await db.raw('INSERT INTO commit_off_probe (id) VALUES (1)');
  await t.throwsAsync(db.transaction(async (trx) => {
    await trx.raw('SELECT 1');
    const own = await t.throwsAsync(trx.raw(`${WITH_COMMIT}INSERT INTO commit_off_probe (id) VALUES (?)`, [1]));
    t.is((own as { code?: string }).code, '23505', 'refused at its own call, not held for the COMMIT');
    throw own;
  }));
  const { rows } = await db.raw<{ rows: unknown[] }>('SELECT name FROM pg_prepared_statements');
  t.deepEqual(rows, []);
});

test.serial('a walled transaction carries its BEGIN in the first statement\'s message; one that sends nothing sends no BEGIN; others still begin first', async (t) => {
  const { a } = await timesheetApp(t);
  const anna = await person(a);
  const sent = wireMessages(t);
  const db = single(t, a);
  const read = () => inWall(db, anna.id, (w) => walled(w, (trx) => trx.raw<{ rows: Array<{ n: number; who: string }> }>('SELECT count(*)::int AS n, current_user AS who FROM time_entries')));
  await inWall(db, anna.id, async () => undefined, { sql: ', 1 AS warm', bindings: [] }); // the pool's role checks are done (another text)
  sent.length = 0;

  // The first time on a connection, the first statement is PREPAREd in a message of its own, ahead of the transaction.
  t.is((await read()).rows[0]!.who, 'uurwerk_rls');
  t.is(sent.length, 4, sent.join('\n---\n')); // PREPARE, BEGIN with the settings, the read, COMMIT
  t.regex(sent[0]!, /^PREPARE (uurwerk_b_[0-9a-f]{24}) AS \/\* with begin \*\/ SELECT set_config\('uurwerk\.actor', \$1, true\)/);
  const name = /^PREPARE (\S+)/.exec(sent[0]!)![1]!;
  t.regex(sent[1]!, new RegExp(`^BEGIN;\\nEXECUTE ${name}\\('[0-9a-f-]{36}', '[0-9a-f-]{36}'\\)$`));
  // After that, the transaction's first message is BEGIN and the EXECUTE.
  sent.length = 0;
  t.is((await read()).rows[0]!.who, 'uurwerk_rls');
  t.is(sent.length, 3, sent.join('\n---\n'));
  t.is(sent[0], `BEGIN;\nEXECUTE ${name}('${anna.id}', '${anna.id}')`);

  sent.length = 0;
  await db.transaction(async () => undefined);
  t.deepEqual(sent, [], 'nothing to do: neither BEGIN nor COMMIT reaches the database');

  // An unmarked first statement: BEGIN goes ahead of it and the transaction is real.
  sent.length = 0;
  await db.raw('CREATE TABLE begin_probe (id int)');
  await t.throwsAsync(db.transaction(async (trx) => {
    await trx.raw('INSERT INTO begin_probe VALUES (?)', [1]);
    throw new Error('undo');
  }), { message: 'undo' });
  t.deepEqual((await db.raw<{ rows: unknown[] }>('SELECT * FROM begin_probe')).rows, [], 'rolled back');
  t.true(sent.includes('BEGIN;'));

  // A marked first statement that fails: the transaction ends, the connection goes on.
  await t.throwsAsync(inWall(db, anna.id, async () => undefined, { sql: ', 1 / (?::int - 1) AS boom', bindings: [1] }));
  const again = await inWall(db, anna.id, (w) => walled(w, (trx) => trx.raw<{ rows: Array<{ who: string }> }>('SELECT current_user AS who')));
  t.is(again.rows[0]!.who, 'uurwerk_rls');
  const after = await db.raw<{ rows: Array<{ who: string; tx: string }> }>(`SELECT current_user AS who, current_setting('transaction_read_only') AS tx`);
  t.not(after.rows[0]!.who, 'uurwerk_rls');
});

test.serial('a statement marked to ride with the COMMIT goes out in the COMMIT\'s message; failing there it takes the transaction with it; a second one joins it; any other statement sends it first; a ROLLBACK drops it; nothing is held inside a savepoint', async (t) => {
  const { a } = await timesheetApp(t);
  const sent = wireMessages(t);
  const db = single(t, a);
  await db.raw('CREATE TABLE commit_probe (id int PRIMARY KEY, note text CHECK (note <> \'bad\'))');
  const ids = async () => (await db.raw<{ rows: Array<{ id: number }> }>('SELECT id FROM commit_probe ORDER BY id')).rows.map((r) => r.id);
  const marked = (trx: Knex.Transaction, id: number, note: string) => trx.raw(`${WITH_COMMIT}INSERT INTO commit_probe (id, note) VALUES (?, ?)`, [id, note]);
  const inTransaction = async () => (await db.raw<{ rows: Array<{ x: string | null }> }>('SELECT pg_current_xact_id_if_assigned()::text AS x')).rows[0]!.x;

  // Last in its transaction: one message for the statement and the COMMIT; quotes survive.
  sent.length = 0;
  await db.transaction(async (trx) => {
    await trx.raw('INSERT INTO commit_probe (id, note) VALUES (?, ?)', [1, 'plain']);
    await marked(trx, 2, `it's; "fine" $1 ?`);
  });
  t.deepEqual(await ids(), [1, 2]);
  t.is((await db.raw<{ rows: Array<{ note: string }> }>('SELECT note FROM commit_probe WHERE id = 2')).rows[0]!.note, `it's; "fine" $1 ?`);
  t.regex(sent.find((q) => /commit_probe \(id, note\) VALUES \('2'/.test(q)) ?? '', /^\/\* with commit \*\/ INSERT INTO commit_probe \(id, note\) VALUES \('2', 'it''s; "fine" \$1 \?'\);\nCOMMIT;$/);
  t.false(sent.includes('COMMIT;'), 'no COMMIT of its own');

  // Failing at the COMMIT: the whole transaction is undone, the error is the statement's, the connection is clean.
  const err = await t.throwsAsync(db.transaction(async (trx) => {
    await trx.raw('INSERT INTO commit_probe (id, note) VALUES (?, ?)', [3, 'kept?']);
    await marked(trx, 4, 'bad');
  }));
  t.is((err as { code?: string }).code, '23514'); // check_violation
  t.deepEqual(await ids(), [1, 2], 'nothing of the failed transaction is kept');
  t.is(await inTransaction(), null, 'the connection is not left inside a transaction');

  // Followed by another statement: sent first, as a message of its own, so the transaction sees its row.
  // (A marked statement that opens its transaction goes out with the BEGIN: hence the SELECT 1 first.)
  sent.length = 0;
  const seen = await db.transaction(async (trx) => {
    await trx.raw('SELECT 1');
    await marked(trx, 5, 'five');
    return (await trx.raw<{ rows: Array<{ n: number }> }>('SELECT count(*)::int AS n FROM commit_probe WHERE id = 5')).rows[0]!.n;
  });
  t.is(seen, 1);
  t.deepEqual(await ids(), [1, 2, 5]);
  const five = sent.findIndex((q) => q.startsWith(`${WITH_COMMIT}INSERT INTO commit_probe (id, note) VALUES ('5'`));
  t.true(five > 0 && /FROM commit_probe WHERE id = /.test(sent[five + 1] ?? ''), sent.join('\n---\n'));
  t.true(sent.includes('COMMIT;'), 'nothing left to ride with the COMMIT');

  // Failing before another statement: that statement answers with the held statement's error, not "transaction aborted".
  const err2 = await t.throwsAsync(db.transaction(async (trx) => {
    await trx.raw('SELECT 1');
    await marked(trx, 6, 'bad');
    await trx.raw('SELECT 1');
  }));
  t.is((err2 as { code?: string }).code, '23514');
  t.deepEqual(await ids(), [1, 2, 5]);
  t.is(await inTransaction(), null);

  // Two marked statements: both wait for the COMMIT, in order; the first one's failure is the error reported.
  sent.length = 0;
  await db.transaction(async (trx) => {
    await trx.raw('SELECT 1');
    await marked(trx, 10, 'ten');
    await marked(trx, 11, 'eleven');
  });
  t.deepEqual(await ids(), [1, 2, 5, 10, 11]);
  t.true(sent.some((q) => /VALUES \('10', 'ten'\);\n\/\* with commit \*\/ INSERT INTO commit_probe \(id, note\) VALUES \('11', 'eleven'\);\nCOMMIT;$/.test(q)), sent.join('\n---\n'));
  const err3 = await t.throwsAsync(db.transaction(async (trx) => {
    await trx.raw('SELECT 1');
    await marked(trx, 12, 'bad');
    await marked(trx, 13, 'fine');
  }));
  t.is((err3 as { code?: string }).code, '23514', 'the real error, not "current transaction is aborted"');

  // Inside a savepoint (a nested transaction) nothing is held: its failure stays inside it, and the outer transaction commits.
  const err4 = await t.throwsAsync(db.transaction(async (trx) => {
    await trx.raw('INSERT INTO commit_probe (id, note) VALUES (?, ?)', [14, 'outer']);
    const inner = await t.throwsAsync(trx.transaction(async (nested) => {
      await nested.raw('SELECT 1');
      await marked(nested, 15, 'bad');
      await nested.raw('SELECT 2');
    }));
    t.is((inner as { code?: string }).code, '23514');
    throw new Error('outer goes on after the nested failure');
  }), { message: 'outer goes on after the nested failure' });
  t.truthy(err4);
  await db.transaction(async (trx) => {
    await trx.raw('INSERT INTO commit_probe (id, note) VALUES (?, ?)', [16, 'outer']);
    await t.throwsAsync(trx.transaction(async (nested) => {
      await nested.raw('SELECT 1');
      await marked(nested, 17, 'bad');
    }));
    await marked(trx, 18, 'after the savepoint');
  });
  t.deepEqual(await ids(), [1, 2, 5, 10, 11, 16, 18], 'the outer transaction committed after its nested one failed; 14 was rolled back with its own');

  // A ROLLBACK drops it unsent.
  sent.length = 0;
  await t.throwsAsync(db.transaction(async (trx) => {
    await trx.raw('INSERT INTO commit_probe (id, note) VALUES (?, ?)', [7, 'undone']);
    await marked(trx, 8, 'never sent');
    throw new Error('undo');
  }), { message: 'undo' });
  t.false(sent.some((q) => q.includes('never sent')));
  t.deepEqual(await ids(), [1, 2, 5, 10, 11, 16, 18]);

  // Outside a transaction, nothing to ride with: it runs at once.
  await db.raw(`${WITH_COMMIT}INSERT INTO commit_probe (id, note) VALUES (?, ?)`, [9, 'alone']);
  t.deepEqual(await ids(), [1, 2, 5, 9, 10, 11, 16, 18]);
  t.is(await inTransaction(), null);
});

test.serial('the wall\'s first statement goes out prepared: literals survive, the wall holds, a text PostgreSQL cannot prepare goes out written in, a statement gone from the connection takes the connection with it', async (t) => {
  const { a, projectId } = await timesheetApp(t);
  const anna = await person(a);
  const bob = await person(a);
  const date = daysAgo(1);
  t.is((await anna.c.json('POST', '/api/v1/me/entries', { start: at(date, '08:00'), end: at(date, '09:00'), project_id: projectId })).status, 201);
  const sent = wireMessages(t);
  const warnings: Array<{ fields: Record<string, unknown>; message: string }> = [];
  const db = single(t, a, { warnings });
  const nasty = `it's a \\ "quote", {brace} ; -- not a comment ? ${'$1'}`;
  const first = { sql: ', ?::text AS s, ?::int AS n, ?::uuid AS z', bindings: [nasty, 7, null] };

  // Values travel as EXECUTE's literals, quotes intact; the role and actor apply to the next statement as before.
  for (const [who, seen] of [[anna, 1], [bob, 0], [anna, 1]] as const) {
    const r = await inWall(db, who.id, async (w) => ({ first: w.first, n: (await walled(w, (trx) => trx.raw<{ rows: Array<{ n: number }> }>('SELECT count(*)::int AS n FROM time_entries'))).rows[0]!.n }), first);
    t.deepEqual({ s: r.first.s, n: r.first.n, z: r.first.z }, { s: nasty, n: 7, z: null });
    t.is(r.n, seen, 'row security: each sees only their own entries');
  }
  t.is(sent.filter((q) => q.startsWith('PREPARE ')).length, 1, 'prepared once on the connection');
  t.true(sent.some((q) => q.includes(`${pg.escapeLiteral(nasty)}, '7', NULL)`)), sent.join('\n---\n'));

  // A parameter of a type PostgreSQL cannot tell: PREPARE fails once, the transaction still runs (written in) and commits.
  await db.raw('CREATE TABLE untyped_probe (x text)');
  sent.length = 0;
  const untyped = { sql: ', ? IS NULL AS x', bindings: ['kept'] };
  for (let i = 0; i < 2; i++) {
    await inWall(db, anna.id, async (w) => {
      t.is(w.first.x, false);
      await (await w.own()).raw('INSERT INTO untyped_probe (x) VALUES (?)', [`run ${i}`]);
    }, untyped);
  }
  t.deepEqual((await db.raw<{ rows: Array<{ x: string }> }>('SELECT x FROM untyped_probe ORDER BY x')).rows.map((r) => r.x), ['run 0', 'run 1']);
  t.is(sent.filter((q) => q.startsWith('PREPARE ')).length, 1, 'tried once, not on every transaction');
  t.true(sent.some((q) => q.startsWith('ROLLBACK;\nBEGIN;\n/* with begin */ SELECT') && q.includes(`'kept' IS NULL AS x`)), 'the first run started again, written in');
  t.true(sent.some((q) => q.startsWith('BEGIN;\n/* with begin */ SELECT') && q.includes(`'kept' IS NULL AS x`)), sent.join('\n---\n'));
  // Said once in the log: why PostgreSQL refused it and the statement's text, never its values.
  t.is(warnings.length, 1, JSON.stringify(warnings));
  t.is(warnings[0]!.fields.code, '42P18');
  t.regex(String(warnings[0]!.fields.statement), /\$\d+ IS NULL AS x/);
  t.false(JSON.stringify(warnings).includes('kept'), 'no value in the log');

  // Gone from the connection (a DEALLOCATE, as a pooler's reset would): the transaction fails, that connection leaves the pool, the next one prepares again.
  const pid = async () => (await db.raw<{ rows: Array<{ pid: number }> }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const before = await pid();
  await db.raw('DEALLOCATE ALL');
  const gone = await t.throwsAsync(inWall(db, anna.id, async () => undefined, first));
  t.is((gone as { code?: string }).code, '26000');
  t.not(await pid(), before, 'a new connection');
  const again = await inWall(db, anna.id, async (w) => w.first.s, first);
  t.is(again, nasty);
});
