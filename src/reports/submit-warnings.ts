import type { DayWarning, TimesheetDeps, WorkingTimeWarnings } from '../timesheets/context.js';
import { buildDayView } from '../timesheets/days.js';
import { ownDaysWithEntries } from '../timesheets/read-queries.js';
import type { Wall } from '../timesheets/repository.js';
import { addDays } from '../timesheets/tz.js';
import { html } from '../web/html.js';
import type { Lang } from '../web/i18n.js';
import { rt } from './strings.js';
import { check, mondayOf, myWorkingTime, workingTimeOfDay } from './working-time-service.js';

/**
 * The working-time check handed to the timesheets domain (which may not import
 * reports): at submit the employee sees the warnings their day would carry, and the
 * reviewer sees the same for the day under review. The day's own warnings count, and
 * the week's (`long_week` is dated on the week's last day worked, so it is shown with
 * every day of that week). Never blocking. At submit, the codes of the day's warnings
 * are stored on the day (`timesheet_days.warnings`, emptied at return and reopen) so the
 * admin inbox flags them without reading anyone's week; the figures are computed on request.
 */

// This file's own two strings (nl and en, the type holds both to the same keys), beside the report catalogue's rule names.
const WORDS: Record<Lang, Record<'title' | 'not_blocking', string>> = {
  en: { title: 'Working-time warnings', not_blocking: 'A warning, not a block: the day can be submitted and approved.' },
  nl: { title: 'Waarschuwingen arbeidstijd', not_blocking: 'Een waarschuwing, geen blokkade: de dag kan worden ingediend en goedgekeurd.' },
};

const hm = (m: number) => `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}`;

/** The warnings of the week that concern `date`. */
export const warningsOfDate = (warnings: DayWarning[], date: string): DayWarning[] => warnings.filter((w) => w.date === date || w.code === 'long_week');

/** The warnings as a page lists them: the rule in words, the measured value and the limit. */
export function warningList(l: Lang, warnings: DayWarning[]) {
  if (!warnings.length) return html``;
  return html`<section id="day-warnings"><h2>${WORDS[l].title}</h2><p>${WORDS[l].not_blocking}</p>
<ul>${warnings.map((w) => html`<li data-warning="${w.code}">${rt(l, `wt_${w.code}`)} (${hm(w.value)} / ${hm(w.limit)})</li>`)}</ul></section>`;
}

/** The warnings of the owner's own day, in the submit's wall: the week (and the day before) read in that transaction. */
async function atSubmit(deps: TimesheetDeps, w: Wall, ownerId: string, date: string, tz: string): Promise<DayWarning[]> {
  const monday = mondayOf(date);
  const from = addDays(monday, -1);
  const { days } = await ownDaysWithEntries(w, ownerId, from, addDays(monday, 6));
  const rows = new Map(days.map((d) => [d.date, d]));
  const views = [];
  for (let i = 0; i < 8; i++) {
    const day = addDays(from, i);
    views.push(await buildDayView(deps, w, ownerId, day, rows.get(day), tz));
  }
  return warningsOfDate(check(deps, views, monday, tz).warnings, date);
}

/** The hook the timesheets module is given (`TimesheetDeps.workingTimeWarnings`). */
export function submitWarnings(deps: TimesheetDeps): WorkingTimeWarnings {
  return {
    mine: async (actor, date) => warningsOfDate((await myWorkingTime(deps, actor, date)).warnings, date),
    atSubmit: (w, actor, date, tz) => atSubmit(deps, w, actor.accountId, date, tz),
    ofDay: async (actor, day) => warningsOfDate((await workingTimeOfDay(deps, actor, day)).warnings, day.date),
    list: warningList,
    flags: (l, codes) => html`${codes.map((code) => html`<strong class="flag" data-warning="${code}" title="${WORDS[l].title}">${rt(l, `wt_${code}`)}</strong> `)}`,
  };
}
