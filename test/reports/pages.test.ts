import ExcelJS from 'exceljs';
import test from 'ava';
import { person } from '../timesheets/helpers.js';
import { analyst, fold, reportsApp, seedFigures } from './helpers.js';

test('the report page shows the table, an SVG bar chart and the budget burn; CSV and XLSX carry the same figures, suppressed as "< k"', async (t) => {
  const { a, projectId, taskId, taskId2, projectId2 } = await reportsApp(t);
  await seedFigures(a, { people: 6, teams: ['ward-a'], date: '2026-03-10', projectId, taskId, minutes: 450 });
  await seedFigures(a, { people: 2, teams: ['ward-a'], date: '2026-03-10', projectId, taskId: taskId2, minutes: 60 });
  await seedFigures(a, { people: 5, teams: ['ward-a'], date: '2026-04-14', projectId: projectId2, taskId: null, minutes: 600 });
  await fold(a);
  const boss = await analyst(a);
  const q = 'period=month&from=2026-01-01&to=2026-06-30&group_by=task';
  const page = await boss.c.call('GET', `/reports?${q}&lang=en`);
  t.is(page.status, 200);
  const body = await page.text();
  t.regex(body, /<table class="list" id="report">/);
  t.regex(body, /<svg[^>]*role="img"/, 'a chart drawn on the server');
  t.false(/<script(?! src="\/static\/[a-z-]+\.js" defer>)/.test(body), 'no script but the appliance’s own');
  t.false(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(body.replace(/<a [^>]*>/g, '')), 'no outside asset');
  t.regex(body, /Ward rota \/ Planning/);
  t.regex(body, /fewer than 5/);
  t.regex(body, /id="budgets"/);
  t.regex(body, /<td>Internal<\/td><td>100<\/td><td>50\.00<\/td>/, 'budget used: 5 × 10 h of 100 h');
  const nl = await (await boss.c.call('GET', `/reports?${q}&lang=nl`)).text();
  t.regex(nl, /Rapportages/);
  t.regex(nl, /minder dan 5/);

  const csv = await boss.c.call('GET', `/reports/hours.csv?${q}`);
  t.is(csv.status, 200);
  t.regex(csv.headers.get('content-type') ?? '', /text\/csv/);
  const lines = (await csv.text()).trim().split('\r\n');
  t.deepEqual(lines[0]!.split(','), ['task', '2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06', 'total']);
  t.true(lines.includes('Ward rota / Planning,0,0,45,0,0,0,45'));
  t.true(lines.includes('Ward rota / Night shifts,0,0,< 5,0,0,0,< 5'));
  t.true(lines.some((l) => l.startsWith('total,0,0,45,50,')), 'totals count no suppressed slice');

  const xlsx = await boss.c.call('GET', `/reports/hours.xlsx?${q}`);
  t.is(xlsx.status, 200);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(await xlsx.arrayBuffer()) as unknown as ArrayBuffer);
  const ws = wb.getWorksheet('hours')!;
  const rows: unknown[][] = [];
  ws.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
  t.deepEqual(rows[0], ['task', '2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06', 'total']);
  t.deepEqual(rows.find((r) => r[0] === 'Ward rota / Planning'), ['Ward rota / Planning', 0, 0, 45, 0, 0, 0, 45]);
  t.deepEqual(rows.find((r) => r[0] === 'Ward rota / Night shifts'), ['Ward rota / Night shifts', 0, 0, '< 5', 0, 0, 0, '< 5']);
  const budgets = new ExcelJS.Workbook();
  await budgets.xlsx.load(Buffer.from(await (await boss.c.call('GET', '/reports/budgets.xlsx')).arrayBuffer()) as unknown as ArrayBuffer);
  t.deepEqual((budgets.getWorksheet('budgets')!.getRow(2).values as unknown[]).slice(1), ['Internal', 100, 50]);

  // Others: no report page, no download.
  const op = await person(a, { roles: ['operator'] });
  t.is((await op.c.call('GET', '/reports')).status, 403);
  t.is((await op.c.call('GET', `/reports/hours.csv?${q}`)).status, 403);
  t.is((await fetch(`${a.url}/reports`, { redirect: 'manual' })).status, 302);
  // The page holds the API's schema: a person grouping is refused naming the field.
  const bad = await boss.c.call('GET', '/reports?from=2026-01-01&to=2026-02-01&group_by=person');
  t.is(bad.status, 422);
});
