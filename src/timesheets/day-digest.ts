import { AUDIT_ACTIONS } from '../audit/actions.js';
import { canonicalJson, sha256Hex } from '../audit/canonical.js';
import { chainStaged } from '../audit/chainer.js';
import { KeyShreddedError } from '../keys/errors.js';
import type { KeyService } from '../keys/types.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { TimesheetDeps } from './context.js';
import { buildDayView } from './days.js';
import type { DayView } from './presenter.js';
import { inWall, listDays, type DayRow } from './repository.js';

/**
 * The digest of a day's content, taken when it is submitted and when it is approved
 * and kept in that audit event, so a later change to a locked day — by anyone, the
 * database owner included — shows as a mismatch in `audit:verify`. Only the digest
 * leaves the service; the content it covers stays encrypted.
 */

/** SHA-256 over the canonical JSON of a day: owner, date, time zone and every entry that counts on it. */
export function dayDigest(view: Pick<DayView, 'owner_id' | 'date' | 'time_zone' | 'entries'>): string {
  const entries = [...view.entries]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((e) => ({ id: e.id, start: e.start, end: e.end, date: e.date, minutes: e.minutes, project_id: e.project_id, task_id: e.task_id, note: e.note }));
  return sha256Hex(canonicalJson({ owner_id: view.owner_id, date: view.date, time_zone: view.time_zone, entries }));
}

/** Audit actions that record a person's keys destroyed on purpose: a shred, or an erasure (`uurwerk erase`). */
const ERASURE_ACTIONS = [AUDIT_ACTIONS.dataKeysShredded, 'retention.erased'];

/** A submit or approve event as the check needs it. */
interface Recorded {
  seq: number;
  digest?: string;
}

/** A locked day whose content no longer matches its last recorded digest. */
export interface DayDigestProblem {
  ownerId: string;
  date: string;
  dayId: string;
  seq: number | null;
  message: string;
}

/** What the day-digest check found. */
export interface DayDigestReport {
  ok: boolean;
  /** Locked (submitted or approved) days compared with their digest. */
  daysChecked: number;
  /** Locked days whose last submit/approve event predates digests (nothing to compare). */
  daysWithoutDigest: number;
  /** Locked days of people whose data keys were shredded (erased on purpose: nothing left to compare). */
  daysShredded: number;
  problems: DayDigestProblem[];
}

/**
 * Recomputes the digest of every submitted or approved day (decrypting its entries
 * with the keys, behind the wall's housekeeping bypass) and compares it with the
 * latest submit or approve event for that day; an approved day's approval must also
 * match its submission, and the day's state the last event. Reads only; names each
 * bad day by owner id and date, never by content.
 */
export async function verifyDayDigests(deps: { db: Knex; keys: KeyService; config: Readonly<Config> }): Promise<DayDigestReport> {
  const refuse = (): never => {
    throw new Error('the day-digest check records nothing');
  };
  const td: TimesheetDeps = { ...deps, audit: { record: refuse, recordMany: refuse, append: refuse, readPersonal: refuse, flush: () => Promise.resolve() } };
  // Submit and approve events staged by requests that just committed belong in the check.
  await chainStaged(deps.db);
  return inWall(deps.db, 'bypass', async (w) => {
    // No scope: housekeeping sees every locked day; no cap either, every one is checked.
    const days = await listDays(w, (q) => q, { states: ['submitted', 'approved'], limit: 1_000_000_000 });
    // The latest submit and the latest approve event of every day.
    const { rows: events } = await (await w.own()).raw<{ rows: Array<{ seq: string | number; object_id: string; action: string; payload: { digest?: string } }> }>(
      `SELECT DISTINCT ON (object_id, action) object_id, action, seq, payload FROM audit.events
       WHERE object_type = 'timesheet_day' AND action IN (?, ?) ORDER BY object_id, action, seq DESC`,
      [AUDIT_ACTIONS.timesheetDaySubmitted, AUDIT_ACTIONS.timesheetDayApproved],
    );
    const latest = new Map<string, { submitted?: Recorded; approved?: Recorded }>();
    for (const e of events) {
      const kind = e.action === AUDIT_ACTIONS.timesheetDayApproved ? 'approved' : 'submitted';
      latest.set(e.object_id, { ...latest.get(e.object_id), [kind]: { seq: Number(e.seq), digest: e.payload.digest } });
    }
    const report: DayDigestReport = { ok: true, daysChecked: 0, daysWithoutDigest: 0, daysShredded: 0, problems: [] };
    const problem = (day: DayRow, seq: number | null, message: string) =>
      report.problems.push({ ownerId: day.owner_id, date: day.date, dayId: day.id, seq, message: `day ${day.date} of ${day.owner_id}: ${message}` });
    for (const day of days) {
      const { submitted, approved } = latest.get(day.id) ?? {};
      const event = approved && (!submitted || approved.seq > submitted.seq) ? approved : submitted;
      // The state must be the one the last event put the day in (a state set by hand has no event).
      const expected = event === approved ? 'approved' : 'submitted';
      if (!event || day.state !== expected) {
        problem(day, event?.seq ?? null, `is ${day.state} but the last submit or approve event ${event ? `(seq ${event.seq}) made it ${expected}` : 'is missing'}`);
        continue;
      }
      if (!event.digest) {
        report.daysWithoutDigest++;
        continue;
      }
      report.daysChecked++;
      // Approval must have seen what was submitted: a change in between would otherwise be approved unnoticed.
      if (event === approved && submitted?.digest && submitted.digest !== approved.digest) {
        problem(day, approved.seq, `content changed between submission (seq ${submitted.seq}) and approval (seq ${approved.seq})`);
      }
      let digest: string;
      // Erased on purpose: fine, if the audit log recorded the shredding or the erasure; a
      // tombstone written by hand to hide a change has no such event.
      const erasureRecorded = async () => (await (await w.own())('audit.events').whereIn('action', ERASURE_ACTIONS).where({ subject_id: day.owner_id }).first('seq')) !== undefined;
      try {
        const view = await buildDayView(td, w, day.owner_id, day.date, day, day.time_zone);
        // A note erased on request (its key shredded) changes what the digest covered.
        if (view.entries.some((e) => e.note_erased) && (await erasureRecorded())) {
          report.daysChecked--;
          report.daysShredded++;
          continue;
        }
        digest = dayDigest(view);
      } catch (err) {
        if (err instanceof KeyShreddedError && (await erasureRecorded())) {
          report.daysChecked--;
          report.daysShredded++;
          continue;
        }
        // A ciphertext moved to another row or altered fails its AES-GCM binding.
        problem(day, event.seq, 'an entry no longer decrypts (moved or altered ciphertext)');
        continue;
      }
      if (digest !== event.digest) problem(day, event.seq, `content differs from the digest recorded at seq ${event.seq}`);
    }
    report.ok = report.problems.length === 0;
    return report;
  });
}
