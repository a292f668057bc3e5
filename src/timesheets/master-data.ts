import { AUDIT_ACTIONS } from '../audit/actions.js';
import { recordPlainEvents } from '../audit/service.js';
import type { Actor } from '../identity/policy.js';
import type { Knex } from '../platform/db.js';
import { NotFoundError, ValidationError } from '../platform/errors.js';
import { tsProblem } from './problems.js';
import { authorize, defaultProjectTeam } from './policy.js';

/**
 * Customers, projects and tasks (organisation master data, not personal). Everyone
 * signed in reads them; operators manage all of them, team admins the projects of
 * their own teams (`projects.team`). Every change is an audit event naming the
 * changed fields, in the transaction of the change.
 */

/** The audit event of a master-data change (organisation data: no subject). */
function changed(trx: Knex.Transaction, actor: Actor, action: string, type: string, id: string, fields: string[]) {
  return recordPlainEvents(trx, [{ action, actorId: actor.accountId, object: { type, id }, payload: { fields: [...fields].sort() } }]);
}

/** The names of the fields a request sets. */
const given = (input: object): string[] => Object.entries(input).filter(([, v]) => v !== undefined).map(([k]) => k);

/** A project with its customer and tasks. */
export interface ProjectView {
  id: string;
  name: string;
  code: string | null;
  customer_id: string | null;
  customer_name: string | null;
  billable: boolean;
  budget_hours: number | null;
  team: string;
  archived: boolean;
  tasks: Array<{ id: string; project_id: string; name: string; billable: boolean | null; archived: boolean }>;
}

/** Lists projects with customers and tasks; archived ones only when asked. */
export async function listProjects(db: Knex, includeArchived: boolean): Promise<ProjectView[]> {
  const q = db('projects as p').leftJoin('customers as c', 'c.id', 'p.customer_id').orderBy('p.name');
  if (!includeArchived) void q.whereNull('p.archived_at').whereNull('c.archived_at');
  const projects = (await q.select('p.*', 'c.name as customer_name')) as Array<Record<string, unknown>>;
  const tasks = (await db('tasks').whereIn('project_id', projects.map((p) => p.id as string)).orderBy('name').select('*')) as Array<Record<string, unknown>>;
  return projects.map((p) => ({
    id: p.id as string,
    name: p.name as string,
    code: (p.code as string | null) ?? null,
    customer_id: (p.customer_id as string | null) ?? null,
    customer_name: (p.customer_name as string | null) ?? null,
    billable: p.billable as boolean,
    budget_hours: p.budget_hours === null ? null : Number(p.budget_hours),
    team: p.team as string,
    archived: p.archived_at !== null,
    tasks: tasks
      .filter((t) => t.project_id === p.id && (includeArchived || t.archived_at === null))
      .map((t) => ({ id: t.id as string, project_id: t.project_id as string, name: t.name as string, billable: (t.billable as boolean | null) ?? null, archived: t.archived_at !== null })),
  }));
}

/** Creates a customer (operators and team admins). */
export async function createCustomer(db: Knex, actor: Actor, input: { name: string }): Promise<{ id: string; name: string; archived: boolean }> {
  authorize(actor, 'manage_master_data', {});
  return db.transaction(async (trx) => {
    const [row] = (await trx('customers').insert({ name: input.name }).returning(['id', 'name'])) as Array<{ id: string; name: string }>;
    await changed(trx, actor, AUDIT_ACTIONS.customerCreated, 'customer', row!.id, given(input));
    return { id: row!.id, name: row!.name, archived: false };
  });
}

/** Creates a project; a team admin may only create projects of their own teams. */
export async function createProject(
  db: Knex,
  actor: Actor,
  input: { name: string; customer_id?: string | null; code?: string; billable?: boolean; budget_hours?: number | null; team?: string },
): Promise<ProjectView> {
  const team = input.team ?? defaultProjectTeam(actor);
  authorize(actor, 'manage_master_data', { team });
  if (input.customer_id) {
    const c = await db('customers').where({ id: input.customer_id }).first('archived_at');
    if (!c) throw new ValidationError([tsProblem('customer_id', 'customer.none')]);
    if (c.archived_at) throw new ValidationError([tsProblem('customer_id', 'customer.archived')]);
  }
  const id = await db.transaction(async (trx) => {
    const [row] = (await trx('projects')
      .insert({ name: input.name, customer_id: input.customer_id ?? null, code: input.code ?? null, billable: input.billable ?? false, budget_hours: input.budget_hours ?? null, team })
      .returning('id')) as Array<{ id: string }>;
    await changed(trx, actor, AUDIT_ACTIONS.projectCreated, 'project', row!.id, given(input));
    return row!.id;
  });
  return (await listProjects(db, true)).find((p) => p.id === id)!;
}

async function projectTeam(db: Knex, id: string): Promise<string> {
  const p = (await db('projects').where({ id }).first('team')) as { team: string } | undefined;
  if (!p) throw new NotFoundError();
  return p.team;
}

/** Adds a task to a project. */
export async function createTask(db: Knex, actor: Actor, projectId: string, input: { name: string; billable?: boolean | null }): Promise<ProjectView['tasks'][number]> {
  authorize(actor, 'manage_master_data', { team: await projectTeam(db, projectId) });
  return db.transaction(async (trx) => {
    const [row] = (await trx('tasks').insert({ project_id: projectId, name: input.name, billable: input.billable ?? null }).returning(['id', 'project_id', 'name', 'billable'])) as Array<{ id: string; project_id: string; name: string; billable: boolean | null }>;
    await changed(trx, actor, AUDIT_ACTIONS.taskCreated, 'task', row!.id, given(input));
    return { ...row!, archived: false };
  });
}

/** Archives (or restores) a project: archived projects take no new time. */
export async function setProjectArchived(db: Knex, actor: Actor, projectId: string, archived: boolean): Promise<ProjectView> {
  authorize(actor, 'manage_master_data', { team: await projectTeam(db, projectId) });
  await db.transaction(async (trx) => {
    await trx('projects').where({ id: projectId }).update({ archived_at: archived ? trx.fn.now() : null, updated_at: trx.fn.now() });
    await changed(trx, actor, archived ? AUDIT_ACTIONS.projectArchived : AUDIT_ACTIONS.projectRestored, 'project', projectId, ['archived']);
  });
  return (await listProjects(db, true)).find((p) => p.id === projectId)!;
}
