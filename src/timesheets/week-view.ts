import type { Actor } from '../identity/policy.js';
import { html, type SafeHtml } from '../web/html.js';
import type { Lang } from '../web/i18n.js';
import type { TimesheetDeps } from './context.js';
import { listMyDays } from './days.js';
import { listFavourites } from './favourites.js';
import { listProjects } from './master-data.js';
import { cellId, hm, stateLabel, type Form } from './page-kit.js';
import { choiceLabel, pickerValue } from './project-search.js';
import { addDays } from './tz.js';
import { buildGrid, recentRows, type RowKey, type WeekGrid } from './week-grid.js';
import { dayLabel, wt } from './week-strings.js';

/**
 * The week grid as the page shows it: the data it is built from (the week, the four
 * weeks before it for recency, the pins) and its table markup.
 */

/** What the week page shows. */
export interface LoadedWeek {
  monday: string;
  grid: WeekGrid;
  recent: RowKey[];
  favourites: RowKey[];
  label: (r: RowKey) => string;
}

/** Loads a week's grid (the four weeks before it give the recently used rows). */
export async function loadWeek(deps: TimesheetDeps, actor: Actor, monday: string): Promise<LoadedWeek> {
  const span = await listMyDays(deps, actor, addDays(monday, -28), addDays(monday, 6));
  const recent = recentRows(span);
  const favourites = await listFavourites(deps, actor);
  const projects = await listProjects(deps.db, true);
  const label = (r: RowKey) => {
    const p = projects.find((x) => x.id === r.project_id);
    const task = p?.tasks.find((x) => x.id === r.task_id);
    return p ? choiceLabel({ customer_name: p.customer_name, project_name: p.name, task_name: task?.name ?? null, code: p.code }) : '?';
  };
  return { monday, grid: buildGrid(span.slice(-7), favourites, recent), recent, favourites, label };
}

/** The form field of an editable cell. */
export const cellName = (key: string, date: string) => `c:${key}@${date}`;

/** A cell field name → row key and date; undefined when it is not one. */
export function parseCellName(name: string): { key: string; date: string } | undefined {
  const m = /^c:([0-9a-f-]{36}\/(?:[0-9a-f-]{36})?)@(\d{4}-\d{2}-\d{2})$/.exec(name);
  return m ? { key: m[1]!, date: m[2]! } : undefined;
}

/** Minutes as typed in a cell: h:mm, or empty for nothing. */
const cellText = (minutes: number) => (minutes ? hm(minutes) : '');

/** The grid table; `typed` keeps what was posted after a refused save; `picker` is the new row's options. */
export function gridTable(l: Lang, w: LoadedWeek, picker: SafeHtml, typed?: Form): SafeHtml {
  const { grid } = w;
  const value = (name: string, minutes: number) => (typed && typeof typed[name] === 'string' ? (typed[name] as string) : cellText(minutes));
  const head = grid.dates.map((d, i) => html`<th scope="col"><a href="/timesheets/day/${d}">${dayLabel(l, d)}</a><br><span class="day-state">${stateLabel(l, grid.states[i]!)}</span></th>`);
  const rows = grid.rows.map((r) => {
    const label = w.label(r);
    const cells = r.cells.map((c) => {
      const title = wt(l, 'cell_label', { row: label, day: dayLabel(l, c.date) });
      if (c.mode === 'edit') {
        const name = cellName(r.key, c.date);
        return html`<td><input type="text" id="${cellId(r.key, c.date)}" name="${name}" value="${value(name, c.minutes)}" size="5" inputmode="decimal" aria-label="${title}" data-cell data-row="${r.key}" data-date="${c.date}" data-minutes="${c.minutes}"></td>`;
      }
      const note = wt(l, c.mode === 'timed' ? 'timed_cell' : 'locked_cell');
      return html`<td class="cell-${c.mode}" data-row="${r.key}" data-date="${c.date}" data-minutes="${c.minutes}">${c.mode === 'timed'
        ? html`<a href="/timesheets/day/${c.date}" title="${note}" aria-label="${title}: ${hm(c.minutes)}, ${note}">${hm(c.minutes)}</a>`
        : html`<span title="${note}">${cellText(c.minutes)}</span><span class="visually-hidden"> (${note})</span>`}</td>`;
    });
    return html`<tr data-row="${r.key}"><th scope="row">${label}${r.favourite ? html` <span class="pin">(${wt(l, 'pinned')})</span>` : ''}</th>${cells}<td class="row-total" data-row-total="${r.key}">${hm(r.total)}</td></tr>`;
  });
  const fresh = html`<tr class="new-row"><th scope="row"><label for="new-project">${wt(l, 'add_row')}</label> <select id="new-project" name="project" data-picker data-search-label="${wt(l, 'picker_search')}" data-none="${wt(l, 'picker_none')}">${picker}</select></th>${grid.dates.map((d, i) =>
    html`<td><input type="text" id="h-${d}" name="h_${d}" value="${typed ? (typeof typed[`h_${d}`] === 'string' ? (typed[`h_${d}`] as string) : '') : ''}" size="5" inputmode="decimal" aria-label="${wt(l, 'add_row')}, ${dayLabel(l, d)}"${grid.states[i] === 'draft' || grid.states[i] === 'returned' ? '' : html` disabled`}></td>`)}<td></td></tr>`;
  return html`<div class="grid-scroll"><table class="list week-grid" id="grid">
<caption>${wt(l, 'grid_caption', { a: dayLabel(l, grid.dates[0]!), b: dayLabel(l, grid.dates[6]!) })}</caption>
<thead><tr><th scope="col">${wt(l, 'row')}</th>${head}<th scope="col">${wt(l, 'total')}</th></tr></thead>
<tbody>${rows}${fresh}</tbody>
<tfoot><tr><th scope="row">${wt(l, 'total')}</th>${grid.dates.map((d, i) => html`<td id="total-${d}" data-day-total="${d}">${hm(grid.dayTotals[i]!)}</td>`)}<td id="week-total">${hm(grid.total)}</td></tr></tfoot>
</table></div>`;
}

/** The pinned rows with their unpin buttons, and a picker to pin another. */
export function favouritesSection(l: Lang, w: LoadedWeek, csrfField: SafeHtml, picker: SafeHtml): SafeHtml {
  return html`<section aria-labelledby="fav-h"><h2 id="fav-h">${wt(l, 'favourites')}</h2><p>${wt(l, 'favourites_hint')}</p>
${w.favourites.length ? html`<ul id="favourites">${w.favourites.map((f) => html`<li>${w.label(f)} <form method="post" action="/timesheets/favourites" class="inline">${csrfField}<input type="hidden" name="week" value="${w.monday}"><input type="hidden" name="project" value="${pickerValue(f)}"><input type="hidden" name="pinned" value="false"><button type="submit" class="link">${wt(l, 'unpin')}</button></form></li>`)}</ul>` : html`<p>${wt(l, 'no_favourites')}</p>`}
<form method="post" action="/timesheets/favourites" class="form" id="pin-form">${csrfField}<input type="hidden" name="week" value="${w.monday}"><input type="hidden" name="pinned" value="true">
<label for="pin-project">${wt(l, 'pin')}</label> <select id="pin-project" name="project" data-picker data-search-label="${wt(l, 'picker_search')}" data-none="${wt(l, 'picker_none')}">${picker}</select>
<button type="submit">${wt(l, 'pin')}</button></form></section>`;
}
