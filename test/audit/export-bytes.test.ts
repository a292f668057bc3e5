import test from 'ava';
import { auditSetup } from './helpers.js';
import { AUDIT_ACTIONS } from '../../src/audit/actions.js';
import { exportLineBuffers } from '../../src/audit/export-bytes.js';
import { copyOutInSnapshot } from '../../src/audit/export-copy.js';
import { EVENT_COLUMNS, eventLineOf, forEachLine, lineBlocks } from '../../src/audit/export-rows.js';
import { recordPlainEvents } from '../../src/audit/service.js';

/** The export lines of the byte path over `chunks`, as one string, and their count. */
async function bytePath(chunks: readonly Buffer[]): Promise<{ text: string; count: number }> {
  const parts: Buffer[] = [];
  let count = 0;
  for await (const b of exportLineBuffers((async function* () { yield* chunks; })())) {
    parts.push(b.bytes);
    count += b.count;
  }
  return { text: Buffer.concat(parts).toString('utf8'), count };
}

/** `bytes` cut into chunks of `size`. */
const cut = (bytes: Buffer, size: number): Buffer[] => Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));

test('export lines written byte to byte from the COPY of awkward rows equal the string path, whatever the chunk boundaries', async (t) => {
  const { knex, audit } = await auditSetup(t);
  const awkward = ['quote " and backslash \\ and \\" together', 'line\nbreak\ttab\rcr', 'é ü 漢字 🙂', '\u2028\u2029', '\u0001\u001f\u007f', '\\N', '\\', 'plain'];
  await knex.transaction((trx) =>
    recordPlainEvents(trx, awkward.map((s, i) => ({
      action: AUDIT_ACTIONS.timesheetEntryCreated,
      actorId: i % 2 ? `acct-${i}` : `acct-"${s}"`,
      subjectId: i % 3 ? null : s,
      object: i % 4 ? { type: 'time_entry', id: s } : undefined,
      payload: { s, [s]: i, n: [0.1, -0.5, 1.25e-7, 5e-324, 9007199254740991], nested: { z: null, a: [true, false] } },
    }))),
  );
  for (const s of awkward.slice(0, 3)) await knex.transaction((trx) => audit.record(trx, { action: AUDIT_ACTIONS.loginFailed, actorId: 'acct-1', subjectId: 'acct-1', personal: { typed: s } }));
  await knex.transaction((trx) => recordPlainEvents(trx, Array.from({ length: 300 }, (_, j) => ({ action: AUDIT_ACTIONS.timesheetEntryCreated, actorId: `acct-${j % 7}`, subjectId: `acct-${j % 7}`, object: { type: 'time_entry', id: `e-${j}` }, payload: { j, é: '漢字🙂' } }))));
  await audit.flush();

  const copied: Buffer[] = [];
  const lines: string[] = [];
  await knex.transaction(async (trx) => {
    for await (const c of copyOutInSnapshot(trx, `SELECT ${EVENT_COLUMNS} FROM audit.events ORDER BY seq`, '')) copied.push(Buffer.from(c));
  });
  const all = Buffer.concat(copied);
  for await (const block of lineBlocks((async function* () { yield all; })())) forEachLine(block, (l) => lines.push(l));
  const expected = lines.map(eventLineOf).join('');
  t.is(lines.length, awkward.length + 3 + 300);
  t.regex(expected, /"subject_id":null/, 'NULL fields are among the rows');

  const whole = await bytePath(copied);
  t.is(whole.text, expected, 'as PostgreSQL sent the chunks');
  t.is(whole.count, lines.length);
  for (const size of [1, 2, 3, 7, 64, 1000]) t.is((await bytePath(cut(all, size))).text, expected, `chunks of ${size} bytes`);
});

test('lines the byte path must not write itself (escapes, quotes, control characters, odd times, wrong field counts) come out as the string path writes them', async (t) => {
  const h = 'a'.repeat(64);
  const row = (f: Partial<Record<number, string>>): string => {
    const base = ['7', '00000000-0000-4000-8000-000000000007', '2026-12-02 20:10:41.12+00', 'acct-1', '\\N', 'timesheet.entry.created', 'time_entry', 'x', '{"a": 1}', '\\N', h, h];
    return base.map((v, i) => f[i] ?? v).join('\t');
  };
  const cases = [
    row({}),
    row({ 2: '2026-12-02 20:10:41+00' }),
    row({ 2: '2026-12-02 20:10:41.1+00' }),
    row({ 2: '2026-12-02 20:10:41.123456+00' }),
    row({ 2: '2026-12-02 20:10:41.12+01' }),
    row({ 2: '12026-12-02 20:10:41+00' }),
    row({ 2: 'infinity' }),
    row({ 2: '2026-12-02 20:10:41.é+00' }),
    row({ 3: 'say "hi"' }),
    row({ 3: 'back\\\\slash' }),
    row({ 3: '\\Nx' }),
    row({ 3: 'x\\N' }),
    row({ 3: 'line\\nbreak' }),
    row({ 3: 'ctl\u0001' }),
    row({ 6: '\\N', 7: '\\N' }),
    row({ 8: '{"s": "q\\\\"u"}' }),
    row({ 8: '\\N' }),
    row({ 8: '{"s": "\u0002"}' }),
    row({ 11: '\\N' }),
    row({ 3: '漢字 🙂', 7: '\u2028' }),
    // The one-pass writer's edges: specials in the typed fields, empty fields, space and '!', NULLs side by side.
    row({ 0: '7"' }),
    row({ 1: 'a\\b' }),
    row({ 1: 'a\u0003' }),
    row({ 2: '2026-12-02 20:10:41."1+00' }),
    row({ 2: '\\N' }),
    row({ 3: '', 6: '', 8: '' }),
    row({ 3: ' ! ', 5: '!' }),
    row({ 4: '\\N', 5: '\\N', 6: '\\N', 7: '\\N' }),
    row({ 10: '\\N', 11: '' }),
  ];
  const out = await bytePath([Buffer.from(cases.map((c) => c + '\n').join(''), 'utf8')]);
  t.is(out.text, cases.map(eventLineOf).join(''));
  t.is(out.count, cases.length);
  for (const bad of [row({}) + '\textra', row({}).split('\t').slice(0, 11).join('\t')]) {
    const want = t.throws(() => eventLineOf(bad))!.message;
    await t.throwsAsync(bytePath([Buffer.from(bad + '\n')]), { message: want });
  }
  await t.throwsAsync(bytePath([Buffer.from(row({}))]), { message: /inside a line/ });
});
