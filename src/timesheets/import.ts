import { parse } from 'csv-parse/sync';
import { AUDIT_ACTIONS } from '../audit/actions.js';
import { recordPlainEvents } from '../audit/service.js';
import type { Actor } from '../identity/policy.js';
import type { Knex } from '../platform/db.js';
import { ValidationError, type FieldProblem } from '../platform/errors.js';
import { authorize, canManageMasterData } from './policy.js';

/**
 * Master data from CSV: one row per project (and optionally one of its tasks), with
 * the header `customer,project,code,task,billable,budget_hours,team` (only `project`
 * required; unknown columns are an error). Customers, projects and tasks are found by
 * name (case-insensitive) or created. Every row is checked first; any problem
 * answers 422 with one entry per row and field (`rows.<line>.<column>`) and nothing
 * is written. `dry_run` checks without writing. A real import is one audit event with
 * its counts.
 */

const COLUMNS = ['customer', 'project', 'code', 'task', 'billable', 'budget_hours', 'team'] as const;
type Column = (typeof COLUMNS)[number];

/** What an import did (or would do, on a dry run). */
export interface ImportResult {
  rows: number;
  customers_created: number;
  projects_created: number;
  tasks_created: number;
  dry_run: boolean;
}

interface Row {
  line: number;
  customer: string;
  project: string;
  code: string | null;
  task: string;
  billable: boolean;
  budget_hours: number | null;
  team: string;
}

function parseRows(csv: string, actor: Actor, problems: FieldProblem[]): Row[] {
  let records: string[][];
  try {
    records = parse(csv, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: false }) as string[][];
  } catch (err) {
    throw new ValidationError([{ field: 'csv', message: `not readable as CSV: ${(err as Error).message}` }]);
  }
  const [header, ...body] = records;
  if (!header) throw new ValidationError([{ field: 'csv', message: 'is empty' }]);
  const names = header.map((h) => h.toLowerCase());
  for (const n of names) if (!(COLUMNS as readonly string[]).includes(n)) problems.push({ field: `csv.header.${n}`, message: `unknown column; use ${COLUMNS.join(', ')}` });
  if (!names.includes('project')) problems.push({ field: 'csv.header', message: 'the project column is required' });
  if (body.length > 5000) throw new ValidationError([{ field: 'csv', message: 'at most 5000 rows per import' }]);
  const rows: Row[] = [];
  for (const [i, rec] of body.entries()) {
    const line = i + 2; // the header is line 1
    const get = (c: Column) => rec[names.indexOf(c)] ?? '';
    const bad = (c: Column, message: string) => problems.push({ field: `rows.${line}.${c}`, message });
    const project = get('project');
    if (!project || project.length > 200) bad('project', 'is required (at most 200 characters)');
    if (get('customer').length > 200) bad('customer', 'at most 200 characters');
    if (get('task').length > 200) bad('task', 'at most 200 characters');
    if (get('code').length > 50) bad('code', 'at most 50 characters');
    const b = get('billable').toLowerCase();
    if (!['', 'true', 'false', 'yes', 'no', 'ja', 'nee', '1', '0'].includes(b)) bad('billable', 'use yes or no');
    const budgetText = get('budget_hours').replace(',', '.');
    const budget = budgetText === '' ? null : Number(budgetText);
    if (budget !== null && (!Number.isFinite(budget) || budget < 0 || budget > 1_000_000)) bad('budget_hours', 'must be a number of hours ≥ 0');
    const team = get('team');
    if (!canManageMasterData(actor, team)) bad('team', 'you do not manage this team');
    rows.push({ line, customer: get('customer'), project, code: get('code') || null, task: get('task'), billable: ['true', 'yes', 'ja', '1'].includes(b), budget_hours: budget, team });
  }
  return rows;
}

/** Imports customers, projects and tasks from CSV (operators; team admins for their own teams). */
export async function importMasterData(db: Knex, actor: Actor, input: { csv: string; dry_run?: boolean }): Promise<ImportResult> {
  authorize(actor, 'manage_master_data', {});
  const problems: FieldProblem[] = [];
  const rows = parseRows(input.csv, actor, problems);
  if (problems.length) throw new ValidationError(problems);
  const result: ImportResult = { rows: rows.length, customers_created: 0, projects_created: 0, tasks_created: 0, dry_run: input.dry_run === true };
  await db.transaction(async (trx) => {
    for (const r of rows) {
      let customerId: string | null = null;
      if (r.customer) {
        const found = (await trx('customers').whereRaw('lower(name) = lower(?)', [r.customer]).first('id')) as { id: string } | undefined;
        if (found) customerId = found.id;
        else {
          customerId = ((await trx('customers').insert({ name: r.customer }).returning('id')) as Array<{ id: string }>)[0]!.id;
          result.customers_created++;
        }
      }
      const q = trx('projects').whereRaw('lower(name) = lower(?)', [r.project]);
      void (customerId ? q.where({ customer_id: customerId }) : q.whereNull('customer_id'));
      let projectId = ((await q.first('id')) as { id: string } | undefined)?.id;
      if (!projectId) {
        projectId = ((await trx('projects').insert({ name: r.project, customer_id: customerId, code: r.code, billable: r.billable, budget_hours: r.budget_hours, team: r.team }).returning('id')) as Array<{ id: string }>)[0]!.id;
        result.projects_created++;
      }
      if (r.task) {
        const t = await trx('tasks').where({ project_id: projectId }).whereRaw('lower(name) = lower(?)', [r.task]).first('id');
        if (!t) {
          await trx('tasks').insert({ project_id: projectId, name: r.task });
          result.tasks_created++;
        }
      }
    }
    // A dry run does the same work and then undoes it, so its counts are exact.
    if (input.dry_run) throw new DryRunDone();
    // One event for the whole import, with its counts (names stay in the tables).
    const { dry_run: _dry, ...counts } = result;
    await recordPlainEvents(trx, [{ action: AUDIT_ACTIONS.masterDataImported, actorId: actor.accountId, payload: counts }]);
  }).catch((err: unknown) => {
    if (!(err instanceof DryRunDone)) throw err;
  });
  return result;
}

class DryRunDone extends Error {}
