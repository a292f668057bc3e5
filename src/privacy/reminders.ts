import { AUDIT_ACTIONS, SYSTEM_ACTOR } from '../audit/actions.js';
import type { Knex } from '../platform/db.js';
import { enqueueMail } from '../platform/mail/outbox.js';
import { localDate } from '../timesheets/tz.js';
import { latestVersions } from './breaches.js';
import type { PrivacyDeps } from './context.js';
import { breachClocks, dueBreachStep, dueRequestStep, effectiveDeadline, stepsThrough, type BreachReminderStep, type RequestReminderStep } from './deadlines.js';

/**
 * Reminder mail to the privacy officers: 7, 3 and 1 days before a request's
 * deadline and once it is overdue; for a breach whose authority notification is
 * still open, when less than 24 hours of the 72 remain and once they have passed.
 * Each step is mailed once (`privacy_reminders`, written in the same transaction
 * as the mail); a late run mails the most urgent step and counts the skipped ones
 * as done. The mail names the recipient and register numbers and dates only, never
 * who asked or what happened, and links to the registers.
 */

/** What one run did. */
export interface ReminderResult {
  mails: number;
  requests: number;
  breaches: number;
}

/** The privacy officers who can receive mail. */
async function officers(db: Knex | Knex.Transaction): Promise<Array<{ email: string; name: string }>> {
  return (await db('role_assignments as r')
    .join('accounts as a', 'a.id', 'r.account_id')
    .where({ 'r.role': 'dpo', 'a.status': 'active' })
    .whereNotNull('a.email')
    .distinct('a.email', db.raw('coalesce(a.display_name, a.username) as name'))) as Array<{ email: string; name: string }>;
}

/** Marks `steps` as sent; true when any of them was not sent before. */
async function claim(trx: Knex.Transaction, objectType: 'request' | 'breach', objectId: string, steps: string[], at: Date): Promise<boolean> {
  const rows = await trx('privacy_reminders').insert(steps.map((step) => ({ object_type: objectType, object_id: objectId, step, sent_at: at }))).onConflict(['object_type', 'object_id', 'step']).ignore().returning('step');
  return rows.length > 0;
}

const REQUEST_LINE: Record<RequestReminderStep, (n: number, d: string) => string> = {
  d7: (n, d) => `- Request ${n}: due in 7 days or less (${d})`,
  d3: (n, d) => `- Request ${n}: due in 3 days or less (${d})`,
  d1: (n, d) => `- Request ${n}: due tomorrow or today (${d})`,
  overdue: (n, d) => `- Request ${n}: OVERDUE since ${d}`,
};
const BREACH_LINE: Record<BreachReminderStep, (n: number, d: string) => string> = {
  h24: (n, d) => `- Breach ${n}: the authority must be notified by ${d} (less than 24 hours left)`,
  overdue: (n, d) => `- Breach ${n}: the 72 hours for notifying the authority passed at ${d}`,
};

/** Mails the privacy officers about every step that fell due since the last run. */
export async function sendPrivacyReminders(deps: PrivacyDeps): Promise<ReminderResult> {
  const now = deps.clock.now();
  const today = localDate(now, deps.config.timesheets.time_zone);
  return deps.db.transaction(async (trx) => {
    const to = await officers(trx);
    if (!to.length) return { mails: 0, requests: 0, breaches: 0 }; // nothing is marked: the next run tries again
    const lines: string[] = [];
    let requests = 0;
    let breaches = 0;
    const open = (await trx('privacy_requests').whereNot('status', 'closed').orderBy('number').forUpdate()
      .select('id', 'number', trx.raw('received_on::text as received_on'), 'extended_at')) as Array<{ id: string; number: string; received_on: string; extended_at: Date | null }>;
    for (const r of open) {
      const deadline = effectiveDeadline(r.received_on, r.extended_at !== null);
      const step = dueRequestStep(deadline, today);
      if (step && (await claim(trx, 'request', r.id, stepsThrough(step), now))) {
        lines.push(REQUEST_LINE[step](Number(r.number), deadline));
        requests++;
      }
    }
    const pending = (await latestVersions(trx).whereNot('v.status', 'closed').where('v.authority', 'pending').orderBy('b.number')) as Array<{ breach_id: string; number: string; aware_at: Date }>;
    for (const b of pending) {
      const step = dueBreachStep(b.aware_at, now);
      if (step && (await claim(trx, 'breach', b.breach_id, step === 'overdue' ? ['h24', 'overdue'] : ['h24'], now))) {
        lines.push(BREACH_LINE[step](Number(b.number), `${breachClocks(b.aware_at).authorityDue.toISOString().slice(0, 16).replace('T', ' ')} UTC`));
        breaches++;
      }
    }
    if (!lines.length) return { mails: 0, requests, breaches };
    const base = (deps.config.server.public_url ?? `http://${deps.config.server.host}:${deps.config.server.port}`).replace(/\/$/, '');
    for (const officer of to) {
      await enqueueMail(trx, {
        to: [officer.email],
        subject: 'Uurwerk: privacy register deadlines',
        text: `Hello ${officer.name},\n\nThese entries of the privacy registers need attention:\n\n${lines.join('\n')}\n\nOpen the registers: ${base}/privacy/requests\n`,
      }, { cipher: deps.keys });
    }
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.privacyRemindersSent, actorId: SYSTEM_ACTOR, payload: { mails: to.length, requests, breaches } });
    return { mails: to.length, requests, breaches };
  });
}
