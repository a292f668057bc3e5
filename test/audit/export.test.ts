import test from 'ava';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { auditSetup } from './helpers.js';
import { AUDIT_ACTIONS } from '../../src/audit/actions.js';
import { createCheckpoint } from '../../src/audit/checkpoints.js';
import { exportAuditLog } from '../../src/audit/export.js';
import { recordPlainEvents } from '../../src/audit/service.js';
import { verifyExportFile } from '../../src/audit/verify.js';

test('the export PostgreSQL writes carries awkward text and numbers exactly: the file verifies offline and its events equal the rows', async (t) => {
  const { knex, audit, keyring, trusted } = await auditSetup(t);
  const awkward = ['quote " and backslash \\ and \\" together', 'line\nbreak\ttab', 'é ü 漢字 🙂', '\u2028\u2029', '\u0001\u001f'];
  await knex.transaction((trx) =>
    recordPlainEvents(trx, awkward.map((s, i) => ({
      action: AUDIT_ACTIONS.timesheetEntryCreated,
      actorId: `acct-"${i}"\\`,
      subjectId: s.slice(0, 5),
      object: { type: 'time_entry', id: s },
      payload: { s, [s]: i, n: [0.1, -0.5, 1.25e-7, 5e-324, 123.456, 9007199254740991, -0], nested: { z: null, a: [true, false] } },
    }))),
  );
  await knex.transaction((trx) => audit.record(trx, { action: AUDIT_ACTIONS.loginFailed, actorId: 'acct-1', subjectId: 'acct-1', personal: { typed: 'x"y\\z' } }));
  await createCheckpoint(knex, keyring);
  await knex.transaction((trx) => recordPlainEvents(trx, [{ action: AUDIT_ACTIONS.timesheetEntryCreated, actorId: 'after-checkpoint' }]));

  const file = path.join(mkdtempSync(path.join(tmpdir(), 'audit-export-')), 'export.jsonl');
  const counts = await exportAuditLog(knex, file, trusted);
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const events = lines.filter((l) => l.type === 'event');
  t.is(events.length, counts.events);
  const rows = (await knex('audit.events').orderBy('seq')) as Array<Record<string, unknown> & { at: Date; seq: string }>;
  t.deepEqual(
    events.map(({ type: _t, ...e }) => e),
    rows.map((r) => ({ ...r, seq: Number(r.seq), at: r.at.toISOString() })),
    'every event line holds exactly the stored row',
  );
  const report = await verifyExportFile(file, { keys: trusted });
  t.true(report.ok, JSON.stringify(report.problems));
  t.is(report.eventsChecked, rows.length);
});
