import type { TimesheetDeps } from './context.js';
import { enqueueMail } from '../platform/mail/outbox.js';
import { inWall, walled } from './repository.js';
import { addDays, localDate } from './tz.js';

/**
 * Reminder mail for draft days left unsubmitted (`timesheets.reminder`). Housekeeping
 * that must see every person's drafts, so it runs behind the wall with the explicit
 * bypass; it reads only owners, dates and states, never entry contents. Each day is
 * reminded about once. The timesheets module (module.ts) runs it as the
 * `timesheets.reminders` job on `timesheets.reminder.cron`.
 */
export async function sendReminders(deps: Pick<TimesheetDeps, 'db' | 'config' | 'keys'>, now = new Date()): Promise<{ people: number; days: number }> {
  const cfg = deps.config.timesheets;
  if (!cfg.reminder.enabled) return { people: 0, days: 0 };
  const cutoff = addDays(localDate(now, cfg.time_zone), -cfg.reminder.after_days);
  return inWall(deps.db, 'bypass', async (w) => {
    const rows = (await walled(w, (trx) =>
      trx('timesheet_days as d')
        .where('d.state', 'draft')
        .whereNull('d.reminded_at')
        .where('d.date', '<=', cutoff)
        .whereExists((q) => q.select(trx.raw('1')).from('time_entries as e').whereRaw('e.owner_id = d.owner_id AND d.date BETWEEN e.first_date AND e.last_date'))
        .forUpdate()
        .select('d.id', 'd.owner_id', trx.raw('d.date::text AS date')),
    )) as Array<{ id: string; owner_id: string; date: string }>;
    const byOwner = new Map<string, Array<{ id: string; date: string }>>();
    for (const r of rows) byOwner.set(r.owner_id, [...(byOwner.get(r.owner_id) ?? []), r]);
    let people = 0;
    for (const [ownerId, days] of byOwner) {
      const account = (await (await w.own())('accounts').where({ id: ownerId, status: 'active' }).whereNotNull('email').first('email')) as { email: string } | undefined;
      if (!account) continue;
      const dates = days.map((d) => d.date).sort();
      await enqueueMail(await w.own(), {
        to: [account.email],
        subject: `Uurwerk: ${dates.length} day(s) not submitted yet`,
        text: `These days are still drafts, visible only to you:\n\n${dates.map((d) => `- ${d}`).join('\n')}\n\nReview and submit them when they are complete.\n`,
      }, { cipher: deps.keys });
      await walled(w, (trx) => trx('timesheet_days').whereIn('id', days.map((d) => d.id)).update({ reminded_at: now }));
      people++;
    }
    return { people, days: rows.length };
  });
}
