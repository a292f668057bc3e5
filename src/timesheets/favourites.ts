import type { Actor } from '../identity/policy.js';
import { ValidationError } from '../platform/errors.js';
import { tsProblem } from './problems.js';
import type { TimesheetDeps } from './context.js';
import { inWall, walled } from './repository.js';
import type { RowKey } from './week-grid.js';

/**
 * Pinned rows of a person's week grid (`timesheet_favourites`, behind row-level
 * security like the timer: each account sees and changes only its own pins).
 */

/** The actor's pinned rows, oldest pin first. */
export async function listFavourites(deps: TimesheetDeps, actor: Actor): Promise<RowKey[]> {
  return inWall(deps.db, actor.accountId, (w) =>
    walled(w, (trx) => trx('timesheet_favourites').where({ account_id: actor.accountId }).orderBy('created_at').select('project_id', 'task_id') as Promise<RowKey[]>),
  );
}

/** Pins a row (422 naming the field for an unknown or archived project or task; pinning twice is a no-op). */
export async function pinFavourite(deps: TimesheetDeps, actor: Actor, row: RowKey): Promise<void> {
  const project = (await deps.db('projects').where({ id: row.project_id }).first('archived_at')) as { archived_at: Date | null } | undefined;
  if (!project || project.archived_at) throw new ValidationError([tsProblem('project_id', project ? 'entry.project_archived' : 'entry.no_project')]);
  if (row.task_id) {
    const task = (await deps.db('tasks').where({ id: row.task_id }).first('project_id', 'archived_at')) as { project_id: string; archived_at: Date | null } | undefined;
    if (!task || task.project_id !== row.project_id || task.archived_at) throw new ValidationError([tsProblem('task_id', 'cell.no_open_task')]);
  }
  await inWall(deps.db, actor.accountId, (w) =>
    walled(w, (trx) => trx.raw(
      `INSERT INTO timesheet_favourites (account_id, project_id, task_id) VALUES (?::uuid, ?::uuid, ?::uuid) ON CONFLICT DO NOTHING`,
      [actor.accountId, row.project_id, row.task_id],
    )),
  );
}

/** Unpins a row (unpinning what is not pinned is a no-op). */
export async function unpinFavourite(deps: TimesheetDeps, actor: Actor, row: RowKey): Promise<void> {
  await inWall(deps.db, actor.accountId, (w) =>
    walled(w, (trx) => {
      const q = trx('timesheet_favourites').where({ account_id: actor.accountId, project_id: row.project_id });
      return (row.task_id ? q.where({ task_id: row.task_id }) : q.whereNull('task_id')).delete();
    }),
  );
}
