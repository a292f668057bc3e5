import type { z } from 'zod';
import { personalRef } from '../audit/service.js';
import { DecryptError, KeyShreddedError } from '../keys/errors.js';
import type { CipherRef, KeyService } from '../keys/types.js';
import type { Knex } from '../platform/db.js';
import { allNames, commentRef, entryRef, timerRef } from '../timesheets/context.js';
import type { EntryDetails } from '../timesheets/entry-rules.js';
import { ownDaysWithEntries } from '../timesheets/read-queries.js';
import { inWall, walled, type DayRow, type EntryRow } from '../timesheets/repository.js';
import { noteRef } from '../timesheets/sealing.js';
import { iso } from './profile.js';
import type { auditRow, dayRow, entryRow } from './schema.js';

/**
 * The time data and audit events of "My data", decrypted for the person they belong
 * to. Days, entries and the timer are read behind the timesheet wall acting as the
 * person (row-level security shows them their own rows only); a long history is read
 * a year at a time so the job can report progress.
 */

type Db = Knex | Knex.Transaction;
type Item = { subject: string; ref: CipherRef; envelope: string };

/** Why a value could not be decrypted, in words for the export (no key material, no ids). */
const UNREADABLE = 'its data key was destroyed (crypto-shredded) or does not open it';

/**
 * Decrypts many values; when the batch fails (a shredded key), value by value, so one
 * shredded year leaves the rest readable. Unreadable values come back as null.
 */
export async function decryptLenient(keys: KeyService, db: Db, items: Item[]): Promise<Array<string | null>> {
  if (!items.length) return [];
  // Only a shredded or foreign key makes a value unreadable; anything else (a database
  // error) is a failure of the export, not a gap in it.
  const unreadable = (err: unknown) => {
    if (err instanceof KeyShreddedError || err instanceof DecryptError) return null;
    throw err;
  };
  try {
    return await keys.decryptMany(db, items);
  } catch (err) {
    unreadable(err);
    const out: Array<string | null> = [];
    for (const it of items) out.push(await keys.decrypt(db, it.subject, it.ref, it.envelope).catch(unreadable));
    return out;
  }
}

/** The calendar years the person has days or entries in, oldest first. */
export async function yearsWithTime(db: Knex, accountId: string): Promise<number[]> {
  return inWall(db, accountId, async (w) => {
    const { rows } = await walled(w, (trx) =>
      trx.raw<{ rows: Array<{ lo: string | null; hi: string | null }> }>(
        `SELECT least((SELECT min(date) FROM timesheet_days WHERE owner_id = ?::uuid), (SELECT min(first_date) FROM time_entries WHERE owner_id = ?::uuid))::text AS lo,
                greatest((SELECT max(date) FROM timesheet_days WHERE owner_id = ?::uuid), (SELECT max(last_date) FROM time_entries WHERE owner_id = ?::uuid))::text AS hi`,
        [accountId, accountId, accountId, accountId],
      ),
    );
    const { lo, hi } = rows[0] ?? { lo: null, hi: null };
    if (!lo || !hi) return [];
    const years: number[] = [];
    for (let y = Number(lo.slice(0, 4)); y <= Number(hi.slice(0, 4)); y++) years.push(y);
    return years;
  });
}

/** The person's days and entries of one calendar year, decrypted (entries crossing the year's end come with both years). */
export async function timeOfYear(db: Knex, keys: KeyService, accountId: string, year: number): Promise<{ days: Array<z.infer<typeof dayRow>>; entries: Array<z.infer<typeof entryRow>> }> {
  return inWall(db, accountId, async (w) => {
    const { days, entries } = await ownDaysWithEntries(w, accountId, `${year}-01-01`, `${year}-12-31`);
    const trx = w.shared(); // data keys and names are granted to the row-security role
    const commented = days.filter((d) => d.comment);
    // Notes have their own column under the note key (older rows keep theirs inside the details).
    const noted = entries.filter((e) => e.note);
    const plain = await decryptLenient(keys, trx, [
      ...entries.map((e) => ({ subject: accountId, ref: entryRef(e.id), envelope: e.details })),
      ...commented.map((d) => ({ subject: accountId, ref: commentRef(d.id), envelope: d.comment! })),
      ...noted.map((e) => ({ subject: accountId, ref: noteRef(e.id), envelope: e.note! })),
    ]);
    const notes = new Map(noted.map((e, i) => [e.id, plain[entries.length + commented.length + i] ?? null]));
    const details = entries.map((e, i) => {
      if (!plain[i]) return null;
      const d = JSON.parse(plain[i]) as EntryDetails;
      return e.note ? { ...d, note: notes.get(e.id) ?? '' } : d;
    });
    const comments = new Map(commented.map((d, i) => [d.id, plain[entries.length + i] ?? null]));
    const n = await allNames(trx, { projects: details.flatMap((d) => (d ? [d.project_id] : [])), tasks: details.flatMap((d) => (d?.task_id ? [d.task_id] : [])), accounts: [] });
    return {
      days: days.map((d) => presentDay(d, comments.get(d.id) ?? null)),
      entries: entries.map((e, i) => presentEntry(e, details[i] ?? null, n.projects, n.tasks)),
    };
  });
}

function presentDay(d: DayRow, comment: string | null): z.infer<typeof dayRow> {
  return {
    id: d.id, date: d.date, state: d.state, time_zone: d.time_zone, comment, submitted_at: iso(d.submitted_at), returned_at: iso(d.returned_at), returned_by: d.returned_by,
    approved_at: iso(d.approved_at), approved_by: d.approved_by, created_at: iso(d.created_at)!, updated_at: iso(d.updated_at)!,
  };
}

function presentEntry(e: EntryRow, d: EntryDetails | null, projects: Map<string, string>, tasks: Map<string, string>): z.infer<typeof entryRow> {
  return {
    id: e.id, first_date: e.first_date, last_date: e.last_date, start: d?.start ?? null, end: d?.end ?? null, date: d?.date ?? null, minutes: d?.minutes ?? null,
    project_id: d?.project_id ?? null, project_name: d ? (projects.get(d.project_id) ?? null) : null, task_id: d?.task_id ?? null, task_name: d?.task_id ? (tasks.get(d.task_id) ?? null) : null,
    note: d?.note ?? null, created_at: iso(e.created_at)!, updated_at: iso(e.updated_at)!, unreadable: d ? null : UNREADABLE,
  };
}

/** The person's running timer, decrypted (null when none runs). */
export async function timerOfPerson(db: Knex, keys: KeyService, accountId: string): Promise<Record<string, unknown> | null> {
  return inWall(db, accountId, async (w) => {
    const row = (await walled(w, (trx) => trx('running_timers').where({ owner_id: accountId }).first('details', 'created_at'))) as { details: string; created_at: Date } | undefined;
    if (!row) return null;
    const [plain] = await decryptLenient(keys, w.shared(), [{ subject: accountId, ref: timerRef(accountId), envelope: row.details }]);
    return { started_at: iso(row.created_at), ...(plain ? (JSON.parse(plain) as Record<string, unknown>) : { unreadable: UNREADABLE }) };
  });
}

/** Day and entry counts by state (the summary), read behind the wall as the person. */
export async function timeCounts(db: Knex, accountId: string): Promise<{ days: Record<'draft' | 'submitted' | 'returned' | 'approved', number>; entries: number }> {
  return inWall(db, accountId, async (w) => {
    const { rows } = await walled(w, (trx) =>
      trx.raw<{ rows: Array<{ state: string; n: number }> }>(
        `SELECT state, count(*)::int AS n FROM timesheet_days WHERE owner_id = ?::uuid GROUP BY state
         UNION ALL SELECT 'entries', count(*)::int FROM time_entries WHERE owner_id = ?::uuid`,
        [accountId, accountId],
      ),
    );
    const by = new Map(rows.map((r) => [r.state, r.n]));
    return { days: { draft: by.get('draft') ?? 0, submitted: by.get('submitted') ?? 0, returned: by.get('returned') ?? 0, approved: by.get('approved') ?? 0 }, entries: by.get('entries') ?? 0 };
  });
}

/** Audit events about the person or by them, in seq order, a page at a time (`afterSeq`). */
export async function auditEventsOf(db: Db, keys: KeyService, accountId: string, afterSeq: number, limit: number): Promise<Array<z.infer<typeof auditRow>>> {
  const rows = (await db('audit.events')
    .where((q) => void q.where('subject_id', accountId).orWhere('actor_id', accountId))
    .where('seq', '>', afterSeq).orderBy('seq').limit(limit)
    .select('seq', 'id', 'at', 'actor_id', 'subject_id', 'action', 'object_type', 'object_id', 'payload', 'personal')) as Array<{
    seq: string | number; id: string; at: Date | string; actor_id: string; subject_id: string | null; action: string; object_type: string | null; object_id: string | null; payload: Record<string, unknown>; personal: string | null;
  }>;
  // Personal details are decrypted only where the person is the subject (their key); others' stay out.
  const mine = rows.filter((r) => r.personal && r.subject_id === accountId);
  const plain = await decryptLenient(keys, db, mine.map((r) => ({ subject: accountId, ref: personalRef(r.id), envelope: r.personal! })));
  const personal = new Map(mine.map((r, i) => [r.id, plain[i] ?? null]));
  return rows.map((r) => {
    const about = r.subject_id === accountId;
    const by = r.actor_id === accountId;
    const p = personal.get(r.id);
    return {
      seq: Number(r.seq), at: iso(r.at)!, relation: about && by ? 'both' : about ? 'about_me' : 'by_me', actor_id: r.actor_id, subject_id: r.subject_id, action: r.action,
      object_type: r.object_type, object_id: r.object_id, payload: r.payload, personal: p ? (JSON.parse(p) as Record<string, unknown>) : null,
      unreadable: about && r.personal && !p ? UNREADABLE : null,
    };
  });
}

/** How many audit events are about the person and how many are by them. */
export async function auditCounts(db: Db, accountId: string): Promise<{ about: number; by: number }> {
  const { rows } = await db.raw<{ rows: Array<{ about: number; by: number }> }>(
    'SELECT (SELECT count(*)::int FROM audit.events WHERE subject_id = ?) AS about, (SELECT count(*)::int FROM audit.events WHERE actor_id = ?) AS by',
    [accountId, accountId],
  );
  return rows[0] ?? { about: 0, by: 0 };
}
