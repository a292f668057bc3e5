import { z } from 'zod';
import type { Actor } from '../identity/policy.js';
import { NotFoundError, ValidationError } from '../platform/errors.js';
import { captureProblem } from './problems.js';
import { createEntries } from '../timesheets/entries.js';
import { timeZoneOf } from '../timesheets/settings.js';
import { daySpan } from '../timesheets/tz.js';
import { utcDay, type CaptureDeps } from './context.js';
import { decryptRows } from './events.js';
import { compileMapping, readMapping } from './mapping.js';
import type { CaptureEvent } from './merge.js';

/**
 * One day of an employee's raw activity as they review it, in their own time zone:
 * the timeline, the breaks the AFK watcher saw, and suggestions — activity matching one
 * of the employee's mapping rules grouped per rule (booked on the rule's project),
 * the rest grouped by app. Suggested time is only shown: nothing here is an entry or
 * counts as time until the employee accepts a suggestion.
 */

const span = z.object({ start: z.string(), end: z.string() });
export const suggestion = z.object({
  /** What `accept` names: `rule:<n>` (the n-th mapping rule) or `app:<name>`. */
  key: z.string(),
  label: z.string(),
  /** The app of an app-grouped suggestion (null for a rule's). */
  app: z.string().nullable(),
  rule: z.number().nullable(),
  project_id: z.string().nullable(),
  task_id: z.string().nullable(),
  seconds: z.number(),
  blocks: z.array(span),
});
export const captureDay = z.object({
  date: z.string(),
  time_zone: z.string(),
  timeline: z.array(span.extend({ app: z.string().nullable(), title: z.string().nullable(), url: z.string().nullable(), rule: z.number().nullable() })),
  breaks: z.array(span),
  suggestions: z.array(suggestion),
});
export type CaptureDay = z.infer<typeof captureDay>;

/** Activity of the same group closer together than this forms one suggested block. */
const BLOCK_GAP_MS = 5 * 60_000;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const iso = (ms: number) => new Date(ms).toISOString();

function blocksOf(list: CaptureEvent[]): Array<{ start: string; end: string }> {
  const blocks: Array<{ start: number; end: number }> = [];
  for (const e of [...list].sort((a, b) => a.start - b.start)) {
    const end = e.start + e.duration * 1000;
    const last = blocks.at(-1);
    if (last && e.start - last.end <= BLOCK_GAP_MS) last.end = Math.max(last.end, end);
    else blocks.push({ start: e.start, end });
  }
  return blocks.map((b) => ({ start: iso(b.start), end: iso(b.end) }));
}

/**
 * The caller's activity of one local day (events by the instant they start, in the
 * person's time zone — the timesheet's own). Storage keeps UTC days (one key per UTC
 * day), so a local day reads the two or three UTC days it overlaps.
 */
export async function captureDayOf(deps: CaptureDeps, accountId: string, date: string): Promise<CaptureDay> {
  const tz = await timeZoneOf(deps, accountId);
  const { start, end } = daySpan(date, tz);
  const rows = await deps.db('capture_events').where({ account_id: accountId })
    .whereBetween('day', [utcDay(start.getTime()), utcDay(end.getTime() - 1)])
    .andWhere('starts_at', '>=', start).andWhere('starts_at', '<', end)
    .orderBy([{ column: 'starts_at' }, { column: 'id' }])
    .select('id', 'account_id', deps.db.raw(`to_char(day, 'YYYY-MM-DD') AS day`), 'starts_at', 'duration', 'data');
  const events = await decryptRows(deps, rows);
  const rules = await readMapping(deps, accountId);
  const match = compileMapping(rules);
  // aw-watcher-afk reports { status: 'afk' | 'not-afk' }; everything else is activity.
  const isAfk = (e: CaptureEvent) => e.data.status === 'afk' || e.data.status === 'not-afk';
  const breaks = events.filter((e) => e.data.status === 'afk').map((e) => ({ start: iso(e.start), end: iso(e.start + e.duration * 1000) }));
  const activity = events.filter((e) => !isAfk(e)).map((e) => ({ e, rule: match(e.data) }));
  const timeline = activity.map(({ e, rule }) => ({ start: iso(e.start), end: iso(e.start + e.duration * 1000), app: str(e.data.app), title: str(e.data.title), url: str(e.data.url), rule: rule < 0 ? null : rule }));

  const groups = new Map<string, { label: string; app: string | null; rule: number | null; list: CaptureEvent[] }>();
  for (const { e, rule } of activity) {
    const app = str(e.data.app) ?? (str(e.data.url) ? 'browser' : 'other');
    const key = rule >= 0 ? `rule:${rule}` : `app:${app}`;
    const g = groups.get(key) ?? groups.set(key, { label: rule >= 0 ? `${rules[rule]!.field}: ${rules[rule]!.pattern}` : app, app: rule >= 0 ? null : app, rule: rule >= 0 ? rule : null, list: [] }).get(key)!;
    g.list.push(e);
  }
  const suggestions = [...groups].map(([key, g]) => ({
    key, label: g.label, app: g.app, rule: g.rule,
    project_id: g.rule === null ? null : rules[g.rule]!.project_id,
    task_id: g.rule === null ? null : rules[g.rule]!.task_id,
    seconds: Math.round(g.list.reduce((sum, e) => sum + e.duration, 0)),
    blocks: blocksOf(g.list),
  })).sort((a, b) => b.seconds - a.seconds || a.key.localeCompare(b.key));
  return { date, time_zone: tz, timeline, breaks, suggestions };
}

/**
 * Turning one suggestion into entries: which one (`key`, or `app` for an app's
 * blocks), booked on what (a rule's suggestion brings its own project; given ones win).
 */
export const acceptBody = z.strictObject({
  key: z.string().min(1).max(210).optional(),
  app: z.string().min(1).max(200).optional(),
  project_id: z.uuid().optional(),
  task_id: z.uuid().nullable().optional(),
}).refine((b) => b.key !== undefined || b.app !== undefined, { message: 'name the suggestion (key or app)', path: ['key'], params: { code: 'suggestion.name' } });

/**
 * The one action that turns a suggestion into time: one entry per block of the
 * suggestion's activity that day (to the minute; blocks under a minute are left out),
 * through the timesheets' own rules (allowed window, overlaps, submitted days answer
 * 422 naming `entries.<n>.<field>`). All or none.
 */
export async function acceptSuggestion(deps: CaptureDeps, actor: Actor, date: string, body: z.infer<typeof acceptBody>): Promise<{ entries: number }> {
  const day = await captureDayOf(deps, actor.accountId, date);
  const s = day.suggestions.find((x) => (body.key !== undefined ? x.key === body.key : x.app === body.app));
  if (!s) throw new NotFoundError('No such suggestion on this day');
  const projectId = body.project_id ?? s.project_id;
  if (!projectId) throw new ValidationError([captureProblem('project_id', 'suggestion.project')]);
  const taskId = body.project_id !== undefined ? (body.task_id ?? null) : (body.task_id ?? s.task_id);
  const minute = 60_000;
  const inputs = s.blocks
    .map((b) => ({ start: Math.round(Date.parse(b.start) / minute) * minute, end: Math.round(Date.parse(b.end) / minute) * minute }))
    .filter((b) => b.end - b.start >= minute)
    .map((b) => ({ start: iso(b.start), end: iso(b.end), project_id: projectId, task_id: taskId }));
  if (!inputs.length) return { entries: 0 };
  return { entries: (await createEntries(deps, actor, inputs)).length };
}
