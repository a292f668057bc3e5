import type { Actor } from '../identity/policy.js';
import { listBreaches } from '../privacy/breaches.js';
import type { PrivacyDeps } from '../privacy/context.js';
import { listRequests } from '../privacy/requests.js';

/**
 * The request and breach registers as the compliance export carries them: numbers,
 * kinds, states, dates and every deadline with whether it was met, missed or is still
 * running. Free text (the person's request, notes, grounds, breach descriptions) and
 * names stay in the register, readable on its pages: the bundle rests on disk unsealed
 * until it is fetched, so it carries nothing a person wrote.
 */

/** met: done by the deadline; missed: done late or still open after it; open: running. */
export type DeadlineOutcome = 'met' | 'missed' | 'open';

function outcome(doneAt: string | null, due: string, now: Date): DeadlineOutcome {
  if (doneAt) return doneAt <= due ? 'met' : 'missed';
  return now.toISOString() > due ? 'missed' : 'open';
}

/** End of a local date as an ISO instant bound (a deadline date counts whole). */
const endOfDay = (date: string) => `${date}T23:59:59.999Z`;

/** `registers/requests.json`. */
export async function requestsRegister(deps: PrivacyDeps, actor: Actor, now: Date): Promise<Record<string, unknown>> {
  const rows = await listRequests(deps, actor);
  const requests = rows.sort((a, b) => a.number - b.number).map((r) => {
    const answered = r.told_at ?? r.decided_at;
    return {
      number: r.number, id: r.id, subject_id: r.subject_id, kind: r.kind, channel: r.channel, received_on: r.received_on,
      identity_checked_at: r.identity_checked_at, extended_at: r.extended_at, deadlines: r.deadlines, status: r.status,
      decision: r.decision, decided_at: r.decided_at, execution: r.execution, told_at: r.told_at, closed_at: r.closed_at,
      deadline: outcome(answered, endOfDay(r.deadlines.effective), now),
    };
  });
  const count = (o: DeadlineOutcome) => requests.filter((r) => r.deadline === o).length;
  return { as_of: now.toISOString(), note: 'free text and names stay in the register (privacy pages); answered = the person was told, else the decision', totals: { requests: requests.length, met: count('met'), missed: count('missed'), open: count('open') }, requests };
}

/** `registers/breaches.json`. */
export async function breachesRegister(deps: PrivacyDeps, actor: Actor, now: Date): Promise<Record<string, unknown>> {
  const rows = await listBreaches(deps, actor);
  const breaches = rows.sort((a, b) => a.number - b.number).map((b) => ({
    number: b.number, id: b.id, version: b.version, status: b.status, detected_at: b.detected_at, aware_at: b.aware_at,
    people_count: b.people_count, records_count: b.records_count,
    internal_notice_at: b.internal_notice_at, authority: b.authority, authority_at: b.authority_at,
    people_informed: b.people_informed, people_informed_at: b.people_informed_at, clocks: b.clocks,
    internal_notice_deadline: outcome(b.internal_notice_at, b.clocks.internal_due, now),
    authority_deadline: b.authority === 'not_required' ? 'not_required' : outcome(b.authority_at, b.clocks.authority_due, now),
  }));
  return { as_of: now.toISOString(), note: 'descriptions, measures and notes stay in the register (privacy pages)', totals: { breaches: breaches.length, authority_missed: breaches.filter((b) => b.authority_deadline === 'missed').length }, breaches };
}
