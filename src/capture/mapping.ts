import { z } from 'zod';
import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { Actor } from '../identity/policy.js';
import type { CipherRef } from '../keys/types.js';
import { NotFoundError, ValidationError } from '../platform/errors.js';
import { captureProblem, captureRefusal } from './problems.js';
import { captureKeyOpts, settingsSubject, type CaptureDeps } from './context.js';
import { wildcard } from './rules.js';

/**
 * Mapping rules: the employee's own "activity like this is work on that project".
 * A rule matches an event's app, window title or URL by the same case-insensitive
 * wildcard patterns as exclusions; the day view groups matching activity into one
 * suggestion booked on the rule's project. Rules are sealed under the person's capture
 * settings key. A person may share their rules with a team they belong to as a
 * template (patterns and projects only, never activity); a colleague copies a
 * template into their own rules. Nothing here makes time: suggestions become entries
 * only when the employee accepts one.
 */

/** One mapping rule. */
export const mappingRule = z.strictObject({
  field: z.enum(['app', 'title', 'url']),
  pattern: z.string().trim().min(1).max(200),
  project_id: z.uuid(),
  task_id: z.uuid().nullable().default(null),
});
export type MappingRule = z.infer<typeof mappingRule>;

/** The employee's rules, in the order they are tried (first match wins). */
export const mappingRules = z.strictObject({ rules: z.array(mappingRule).max(200) });

/** A template as colleagues see it. */
export const ruleTemplate = z.object({ id: z.string(), team: z.string(), name: z.string(), rules: z.array(mappingRule), mine: z.boolean(), created_at: z.string() });
export const publishTemplateBody = z.strictObject({ team: z.string().trim().min(1).max(200), name: z.string().trim().min(1).max(100) });

const mappingRef = (accountId: string): CipherRef => ({ table: 'capture_settings', column: 'mapping', rowId: accountId });

/** A compiled rule set: the index of the first rule an event's data matches, or -1. */
export function compileMapping(rules: readonly MappingRule[]): (data: Record<string, unknown>) => number {
  const tests = rules.map((r) => ({ field: r.field, re: wildcard(r.pattern) }));
  return (data) => tests.findIndex(({ field, re }) => typeof data[field] === 'string' && re.test(data[field] as string));
}

/** The employee's mapping rules (none kept: an empty list). */
export async function readMapping(deps: CaptureDeps, accountId: string): Promise<MappingRule[]> {
  const row = (await deps.db('capture_settings').where({ account_id: accountId }).first('mapping')) as { mapping: string | null } | undefined;
  if (!row?.mapping) return [];
  return JSON.parse(await deps.keys.decrypt(deps.db, settingsSubject(accountId), mappingRef(accountId), row.mapping)) as MappingRule[];
}

async function checkProjects(deps: CaptureDeps, rules: readonly MappingRule[], prefix: string): Promise<void> {
  const projectIds = [...new Set(rules.map((r) => r.project_id))];
  const live = new Set((await deps.db('projects').whereIn('id', projectIds).whereNull('archived_at').pluck('id')) as string[]);
  const tasks = new Map(((await deps.db('tasks').whereIn('id', rules.flatMap((r) => (r.task_id ? [r.task_id] : []))).select('id', 'project_id')) as Array<{ id: string; project_id: string }>).map((t) => [t.id, t.project_id]));
  const problems = rules.flatMap((r, i) => [
    ...(live.has(r.project_id) ? [] : [captureProblem(`${prefix}.${i}.project_id`, 'rule.no_project')]),
    ...(r.task_id && tasks.get(r.task_id) !== r.project_id ? [captureProblem(`${prefix}.${i}.task_id`, 'rule.no_task')] : []),
  ]);
  if (problems.length) throw new ValidationError(problems);
}

/** Replaces the employee's mapping rules (audited by count, never the patterns). */
export async function writeMapping(deps: CaptureDeps, accountId: string, rules: MappingRule[]): Promise<MappingRule[]> {
  await checkProjects(deps, rules, 'rules');
  return deps.db.transaction(async (trx) => {
    const sealed = await deps.keys.encrypt(trx, settingsSubject(accountId), mappingRef(accountId), JSON.stringify(rules), captureKeyOpts(new Date().getUTCFullYear()));
    await trx('capture_settings').insert({ account_id: accountId, mapping: sealed }).onConflict('account_id').merge({ mapping: sealed, updated_at: trx.fn.now() });
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.captureSettingsChanged, actorId: accountId, subjectId: accountId, object: { type: 'capture_settings', id: accountId }, payload: { mapping_rules: rules.length } });
    return rules;
  });
}

async function teamsOf(deps: CaptureDeps, accountId: string): Promise<string[]> {
  return (await deps.db('team_scope_members').where({ account_id: accountId }).distinct('team').pluck('team')) as string[];
}

/** Templates shared with the teams the person belongs to, by name. */
export async function listTemplates(deps: CaptureDeps, actor: Actor): Promise<Array<z.infer<typeof ruleTemplate>>> {
  const teams = await teamsOf(deps, actor.accountId);
  const rows = (await deps.db('capture_rule_templates').whereIn('team', teams).orderBy([{ column: 'team' }, { column: 'name' }])
    .select('id', 'team', 'name', 'rules', 'created_by', 'created_at')) as Array<{ id: string; team: string; name: string; rules: MappingRule[]; created_by: string | null; created_at: Date }>;
  return rows.map((r) => ({ id: r.id, team: r.team, name: r.name, rules: r.rules, mine: r.created_by === actor.accountId, created_at: new Date(r.created_at).toISOString() }));
}

/** Shares the person's current mapping rules with one of their teams, as a named template. */
export async function publishTemplate(deps: CaptureDeps, actor: Actor, body: z.infer<typeof publishTemplateBody>): Promise<z.infer<typeof ruleTemplate>> {
  if (!(await teamsOf(deps, actor.accountId)).includes(body.team)) throw new ValidationError([captureProblem('team', 'share.team')]);
  const rules = await readMapping(deps, actor.accountId);
  if (!rules.length) throw new ValidationError([captureProblem('rules', 'share.no_rules')]);
  return deps.db.transaction(async (trx) => {
    const [row] = (await trx('capture_rule_templates').insert({ team: body.team, name: body.name, rules: JSON.stringify(rules), created_by: actor.accountId }).returning(['id', 'created_at'])) as Array<{ id: string; created_at: Date }>;
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.captureTemplatePublished, actorId: actor.accountId, object: { type: 'capture_rule_template', id: row!.id }, payload: { team: body.team, rules: rules.length } });
    return { id: row!.id, team: body.team, name: body.name, rules, mine: true, created_at: new Date(row!.created_at).toISOString() };
  });
}

/** A template of one of the person's teams (404 for any other: it does not exist for them). */
async function visibleTemplate(deps: CaptureDeps, actor: Actor, id: string): Promise<{ id: string; team: string; rules: MappingRule[]; created_by: string | null }> {
  const teams = await teamsOf(deps, actor.accountId);
  const row = (await deps.db('capture_rule_templates').where({ id }).whereIn('team', teams).first('id', 'team', 'rules', 'created_by')) as { id: string; team: string; rules: MappingRule[]; created_by: string | null } | undefined;
  if (!row) throw new NotFoundError('No such template');
  return row;
}

/** Copies a template's rules after the person's own (rules already there are not repeated). */
export async function applyTemplate(deps: CaptureDeps, actor: Actor, id: string): Promise<MappingRule[]> {
  const template = await visibleTemplate(deps, actor, id);
  const mine = await readMapping(deps, actor.accountId);
  const key = (r: MappingRule) => `${r.field}\u0000${r.pattern.toLowerCase()}\u0000${r.project_id}\u0000${r.task_id ?? ''}`;
  const seen = new Set(mine.map(key));
  const merged = [...mine, ...template.rules.filter((r) => !seen.has(key(r)))];
  if (merged.length > 200) throw new ValidationError([captureProblem('rules', 'rules.max', { max: 200 })]);
  return writeMapping(deps, actor.accountId, merged);
}

/** Withdraws a template; only its author may (403 for teammates, 404 for others). */
export async function withdrawTemplate(deps: CaptureDeps, actor: Actor, id: string): Promise<void> {
  const template = await visibleTemplate(deps, actor, id);
  if (template.created_by !== actor.accountId) throw captureRefusal('template.not_yours');
  await deps.db.transaction(async (trx) => {
    await trx('capture_rule_templates').where({ id }).delete();
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.captureTemplateWithdrawn, actorId: actor.accountId, object: { type: 'capture_rule_template', id }, payload: { team: template.team } });
  });
}
