import test from 'ava';
import ExcelJS from 'exceljs';
import { MY_EXPORT_COLUMNS } from '../../src/timesheets/my-export.js';
import { at, daysAgo, person, timesheetApp } from './helpers.js';

/** A CSV as rows of fields (RFC 4180 quoting). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') quoted = false; else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; } else if (ch === '\r') continue;
    else if (ch === '\n') { row.push(field); rows.push(row); row = []; field = ''; } else field += ch;
  }
  return rows;
}

test('my own time as CSV and XLSX: own entries only, safe against formulas, parsed back; audited with counts; bad periods 422', async (t) => {
  const { a, projectId, taskId } = await timesheetApp(t);
  const [cust] = (await a.db.knex('customers').insert({ name: 'Acme, Inc.' }).returning('id')) as Array<{ id: string }>;
  await a.db.knex('projects').where({ id: projectId }).update({ customer_id: cust!.id });
  const emp = await person(a);
  const other = await person(a);
  const d1 = daysAgo(3);
  const d2 = daysAgo(2);
  t.is((await emp.c.json('POST', '/api/v1/me/entries', { start: at(d1, '09:00'), end: at(d1, '10:30'), project_id: projectId, task_id: taskId, note: '=HYPERLINK("x")' })).status, 201);
  t.is((await emp.c.json('POST', '/api/v1/me/entries', { date: d2, duration_minutes: 45, project_id: projectId, note: 'said "hi", left' })).status, 201);
  t.is((await emp.c.json('POST', `/api/v1/me/days/${d1}/submit`, {})).status, 200);
  t.is((await other.c.json('POST', '/api/v1/me/entries', { date: d2, duration_minutes: 300, project_id: projectId, note: 'not yours' })).status, 201);

  const anon = await fetch(`${a.url}/timesheets/export?from=${d1}&to=${d2}&format=csv`, { redirect: 'manual' });
  t.is(anon.status, 302);

  const csv = await emp.c.call('GET', `/timesheets/export?from=${d1}&to=${d2}&format=csv`);
  t.is(csv.status, 200);
  t.regex(csv.headers.get('content-type') ?? '', /text\/csv/);
  t.regex(csv.headers.get('content-disposition') ?? '', /attachment; filename="my-time-/);
  const text = await csv.text();
  t.false(text.includes('not yours'));
  const rows = parseCsv(text);
  t.deepEqual(rows[0], [...MY_EXPORT_COLUMNS]);
  t.deepEqual(rows.slice(1), [
    [d1, '09:00', '10:30', '90', 'Acme, Inc.', 'Ward rota', 'Planning', `'=HYPERLINK("x")`, 'submitted'],
    [d2, '', '', '45', 'Acme, Inc.', 'Ward rota', '', 'said "hi", left', 'draft'],
  ]);

  const xlsx = await emp.c.call('GET', `/timesheets/export?from=${d1}&to=${d2}&format=xlsx`);
  t.is(xlsx.status, 200);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(await xlsx.arrayBuffer()) as unknown as ArrayBuffer);
  const ws = wb.getWorksheet('time')!;
  t.deepEqual((ws.getRow(1).values as unknown[]).slice(1), [...MY_EXPORT_COLUMNS]);
  t.deepEqual((ws.getRow(2).values as unknown[]).slice(1), [d1, '09:00', '10:30', 90, 'Acme, Inc.', 'Ward rota', 'Planning', '=HYPERLINK("x")', 'submitted']);
  t.is(ws.getRow(2).getCell(8).type, ExcelJS.ValueType.String); // text, never a formula
  t.is(ws.rowCount, 3);

  const events = (await a.db.knex('audit.events').where({ action: 'privacy.personal_data.exported', actor_id: emp.id }).orderBy('seq').select('payload', 'subject_id')) as Array<{ payload: Record<string, unknown>; subject_id: string }>;
  t.is(events.length, 2);
  t.deepEqual(events.map((e) => [e.payload.format, e.payload.entries, e.payload.days, e.subject_id]), [['csv', 2, 2, emp.id], ['xlsx', 2, 2, emp.id]]);
  t.false(JSON.stringify(events).includes('HYPERLINK'));

  const reversed = await emp.c.call('GET', `/timesheets/export?from=${d2}&to=${d1}&format=csv`);
  t.is(reversed.status, 422);
  t.regex(await reversed.text(), /to/);
  t.is((await emp.c.call('GET', `/timesheets/export?from=2020-01-01&to=2026-01-01&format=csv`)).status, 422);
  t.is((await emp.c.call('GET', `/timesheets/export?from=${d1}&to=${d2}&format=pdf`)).status, 422);
});
