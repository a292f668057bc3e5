import { z } from 'zod';
import type { Actor } from '../identity/policy.js';
import { NotFoundError } from '../platform/errors.js';
import { createEntries } from '../timesheets/entries.js';
import type { CaptureDeps } from './context.js';
import { decryptRows } from './events.js';
import type { CaptureEvent } from './merge.js';

/**
 * One day of an employee's raw activity as they review it: the timeline, the breaks
 * the AFK watcher saw, and suggestions — blocks of activity grouped by app. Suggested
 * time is only shown: nothing here is an entry or counts as time until the employee
 * makes one.
 */

const span = z.object({ start: z.string(), end: z.string() });
export const captureDay = z.object({
  date: z.string(),
  timeline: z.array(span.extend({ app: z.string().nullable(), title: z.string().nullable(), url: z.string().nullable() })),
  breaks: z.array(span),
  suggestions: z.array(z.object({ app: z.string(), seconds: z.number(), blocks: z.array(span) })),
});
export type CaptureDay = z.infer<typeof captureDay>;

/** Activity of the same app closer together than this forms one suggested block. */
const BLOCK_GAP_MS = 5 * 60_000;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const iso = (ms: number) => new Date(ms).toISOString();

/** The caller's activity of one UTC day (events by the day they start on). */
export async function captureDayOf(deps: CaptureDeps, accountId: string, date: string): Promise<CaptureDay> {
  const rows = await deps.db('capture_events').where({ account_id: accountId, day: date }).orderBy([{ column: 'starts_at' }, { column: 'id' }])
    .select('id', 'account_id', deps.db.raw(`to_char(day, 'YYYY-MM-DD') AS day`), 'starts_at', 'duration', 'data');
  const events = await decryptRows(deps, rows);
  // aw-watcher-afk reports { status: 'afk' | 'not-afk' }; everything else is activity.
  const isAfk = (e: CaptureEvent) => e.data.status === 'afk' || e.data.status === 'not-afk';
  const breaks = events.filter((e) => e.data.status === 'afk').map((e) => ({ start: iso(e.start), end: iso(e.start + e.duration * 1000) }));
  const activity = events.filter((e) => !isAfk(e));
  const timeline = activity.map((e) => ({ start: iso(e.start), end: iso(e.start + e.duration * 1000), app: str(e.data.app), title: str(e.data.title), url: str(e.data.url) }));

  const byApp = new Map<string, CaptureEvent[]>();
  for (const e of activity) {
    const app = str(e.data.app) ?? (str(e.data.url) ? 'browser' : 'other');
    (byApp.get(app) ?? byApp.set(app, []).get(app)!).push(e);
  }
  const suggestions = [...byApp].map(([app, list]) => {
    const blocks: Array<{ start: number; end: number }> = [];
    for (const e of list) {
      const end = e.start + e.duration * 1000;
      const last = blocks.at(-1);
      if (last && e.start - last.end <= BLOCK_GAP_MS) last.end = Math.max(last.end, end);
      else blocks.push({ start: e.start, end });
    }
    return { app, seconds: Math.round(list.reduce((s, e) => s + e.duration, 0)), blocks: blocks.map((b) => ({ start: iso(b.start), end: iso(b.end) })) };
  }).sort((a, b) => b.seconds - a.seconds || a.app.localeCompare(b.app));
  return { date, timeline, breaks, suggestions };
}

/** Turning one suggestion into entries: which app's blocks, booked on what. */
export const acceptBody = z.strictObject({ app: z.string().min(1).max(200), project_id: z.uuid(), task_id: z.uuid().nullable().optional() });

/**
 * The one action that turns a suggestion into time: one entry per block of the app's
 * activity that day (to the minute; blocks under a minute are left out), through the
 * timesheets' own rules (allowed window, overlaps, submitted days answer 422 naming
 * `entries.<n>.<field>`). All or none.
 */
export async function acceptSuggestion(deps: CaptureDeps, actor: Actor, date: string, body: z.infer<typeof acceptBody>): Promise<{ entries: number }> {
  const day = await captureDayOf(deps, actor.accountId, date);
  const s = day.suggestions.find((x) => x.app === body.app);
  if (!s) throw new NotFoundError('No such suggestion on this day');
  const minute = 60_000;
  const inputs = s.blocks
    .map((b) => ({ start: Math.round(Date.parse(b.start) / minute) * minute, end: Math.round(Date.parse(b.end) / minute) * minute }))
    .filter((b) => b.end - b.start >= minute)
    .map((b) => ({ start: iso(b.start), end: iso(b.end), project_id: body.project_id, task_id: body.task_id ?? null }));
  if (!inputs.length) return { entries: 0 };
  return { entries: (await createEntries(deps, actor, inputs)).length };
}
