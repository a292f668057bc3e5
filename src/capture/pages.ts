import Router from '@koa/router';
import type { Actor } from '../identity/policy.js';
import { AppError, ValidationError } from '../platform/errors.js';
import { validate } from '../platform/http/api.js';
import type { AppContext, AppState } from '../platform/http/context.js';
import { getMyDay } from '../timesheets/days.js';
import { listProjects } from '../timesheets/master-data.js';
import { c, csrf, field, formBody, hm, page, projectOptions, splitProject, withSelected } from '../timesheets/page-kit.js';
import { addDays, localTime } from '../timesheets/tz.js';
import { html } from '../web/html.js';
import { sendPage } from '../web/routes.js';
import type { CaptureDeps } from './context.js';
import { acceptBody, acceptSuggestion, captureDayOf } from './day.js';
import { applyTemplate, listTemplates, mappingRule, publishTemplate, publishTemplateBody, readMapping, withdrawTemplate, writeMapping, type MappingRule } from './mapping.js';
import { date as dateSchema } from './schema.js';
import { ct } from './strings.js';
import { captureProblem } from './problems.js';
import type { Lang } from '../web/i18n.js';
import { apiFieldLabels, problemText, type FieldLabels } from '../web/problems.js';

/**
 * "My activity" for one day: the captured timeline beside the day's entries, breaks,
 * suggestions with the one action that makes entries, the mapping rules and the team
 * templates. The employee's own page (every other person is sent to sign in or gets
 * only their own activity); plain forms, usable without JavaScript.
 */

const dateFrom = (v: unknown, name: string) => validate(dateSchema, v, { prefix: name });
/** The day page's fields by the labels of its forms (a rule's project, ...); English pages keep the API's names. */
const formLabels = (l: Lang, err: unknown): FieldLabels => (l === 'en' ? apiFieldLabels(err) : {
  project: ct(l, 'col.project'), project_id: ct(l, 'col.project'), task_id: ct(l, 'col.project'), key: ct(l, 'suggestions'),
  field: ct(l, 'col.rule'), pattern: ct(l, 'pattern'), rules: ct(l, 'rules'), team: ct(l, 'team'), name: ct(l, 'name'), 'path.n': ct(l, 'col.rule'),
});
const uuidFrom = (v: unknown) => validate(mappingRule.shape.project_id, v, { prefix: 'path.id' });

/** The capture pages. */
export function capturePages(deps: CaptureDeps): Router<AppState> {
  const router = new Router<AppState>();

  const dayPage = async (x: AppContext, actor: Actor, date: string, problem?: string) => {
    const l = x.state.lang;
    const [day, entries, rules, templates] = await Promise.all([
      captureDayOf(deps, actor.accountId, date),
      getMyDay(deps, actor, date),
      readMapping(deps, actor.accountId),
      listTemplates(deps, actor),
    ]);
    const tz = day.time_zone;
    const at = (iso: string) => localTime(new Date(iso), tz);
    const teams = (await deps.db('team_scope_members').where({ account_id: actor.accountId }).distinct('team').pluck('team')) as string[];
    const projectNames = new Map((await listProjects(deps.db, true)).map((p) => [p.id, p.name]));
    const options = await projectOptions(deps, l); // one picker, preselected per row
    const ok = x.query.ok === 'saved' ? ct(l, 'saved') : x.query.ok === 'accepted' ? ct(l, 'accepted') : undefined;
    const ruleLabel = (r: MappingRule) => `${ct(l, `field.${r.field}`)}: ${r.pattern}`;
    sendPage(x, deps.config, `${ct(l, 'title')} ${date}`, html`
<h1>${ct(l, 'title')} ${date}</h1>
${problem ? html`<p class="error" role="alert">${problem}</p>` : ''}${ok ? html`<p class="ok" role="status">${ok}</p>` : ''}
<p>${ct(l, 'intro')}</p>
<nav aria-label="${ct(l, 'title')}"><a href="/capture/day/${addDays(date, -1)}">${ct(l, 'prev')}</a> · <a href="/capture/day/${addDays(date, 1)}">${ct(l, 'next')}</a> · <a href="/timesheets/day/${date}">${ct(l, 'to_day')}</a></nav>
<p>${ct(l, 'tz')} ${tz}.</p>
<div class="columns">
<section aria-labelledby="tl-h"><h2 id="tl-h">${ct(l, 'timeline')}</h2>
${day.timeline.length
  ? html`<div class="table-scroll"><table class="list" id="timeline"><thead><tr><th>${ct(l, 'col.from')}</th><th>${ct(l, 'col.to')}</th><th>${ct(l, 'col.app')}</th><th>${ct(l, 'col.title')}</th><th>${ct(l, 'col.url')}</th><th>${ct(l, 'col.rule')}</th></tr></thead>
<tbody>${day.timeline.map((e) => html`<tr><td>${at(e.start)}</td><td>${at(e.end)}</td><td>${e.app ?? ''}</td><td class="note">${e.title ?? ''}</td><td class="note">${e.url ?? ''}</td><td>${e.rule === null ? '' : ruleLabel(rules[e.rule]!)}</td></tr>`)}</tbody></table></div>`
  : html`<p id="no-activity">${ct(l, 'no_activity')}</p>`}
</section>
<section aria-labelledby="en-h"><h2 id="en-h">${ct(l, 'entries')}</h2>
${entries.entries.length
  ? html`<table class="list" id="day-entries"><tbody>${entries.entries.map((e) => html`<tr><td>${e.start ? at(e.start) : '—'}–${e.end ? at(e.end) : '—'}</td><td>${projectNames.get(e.project_id) ?? ''}</td><td>${hm(e.minutes_on_day)}</td></tr>`)}</tbody></table>`
  : html`<p>${ct(l, 'no_entries')}</p>`}
</section>
</div>
<h2>${ct(l, 'breaks')}</h2>
${day.breaks.length ? html`<ul id="breaks">${day.breaks.map((b) => html`<li>${at(b.start)}–${at(b.end)}</li>`)}</ul>` : html`<p>${ct(l, 'no_breaks')}</p>`}
<h2>${ct(l, 'suggestions')}</h2>
${day.suggestions.length
  ? html`<div class="table-scroll"><table class="list" id="suggestions"><thead><tr><th>${ct(l, 'col.app')} / ${ct(l, 'col.rule')}</th><th>${ct(l, 'col.time')}</th><th>${ct(l, 'col.blocks')}</th><th>${ct(l, 'col.project')}</th></tr></thead>
<tbody>${day.suggestions.map((s, i) => html`<tr><td>${s.rule === null ? s.label : ruleLabel(rules[s.rule]!)}</td><td>${hm(Math.round(s.seconds / 60))}</td><td>${String(s.blocks.length)}</td>
<td><form method="post" action="/capture/day/${date}/accept" class="inline">${csrf(x)}<input type="hidden" name="key" value="${s.key}">
<label for="sp-${i}" class="visually-hidden">${ct(l, 'col.project')}</label><select id="sp-${i}" name="project">${withSelected(options, s.project_id ? (s.task_id ? `${s.project_id}/${s.task_id}` : s.project_id) : '')}</select>
<button type="submit">${ct(l, 'accept')}</button></form></td></tr>`)}</tbody></table></div>`
  : html`<p>${ct(l, 'no_activity')}</p>`}
<h2 id="rules-h">${ct(l, 'rules')}</h2>
<p>${ct(l, 'rules_intro')}</p>
${rules.length
  ? html`<ol id="rules">${rules.map((r, i) => html`<li>${ruleLabel(r)} → ${projectNames.get(r.project_id) ?? ''}
<form method="post" action="/capture/rules/${i}/delete" class="inline">${csrf(x)}<input type="hidden" name="date" value="${date}"><button type="submit" class="link">${ct(l, 'remove')}</button></form></li>`)}</ol>`
  : html`<p>${ct(l, 'no_rules')}</p>`}
<form method="post" action="/capture/rules" class="form" id="add-rule">${csrf(x)}<input type="hidden" name="date" value="${date}">
<label>${ct(l, 'col.rule')}<select name="field"><option value="app">${ct(l, 'field.app')}</option><option value="title">${ct(l, 'field.title')}</option><option value="url">${ct(l, 'field.url')}</option></select></label>
<label>${ct(l, 'pattern')}<input type="text" name="pattern" required maxlength="200"></label>
<label>${ct(l, 'col.project')}<select name="project">${options}</select></label>
<button type="submit">${ct(l, 'add_rule')}</button></form>
<h2>${ct(l, 'templates')}</h2>
<p>${ct(l, 'templates_intro')}</p>
${templates.length
  ? html`<ul id="templates">${templates.map((tp) => html`<li>${tp.name} (${tp.team}${tp.mine ? html`, ${ct(l, 'mine')}` : ''}): ${String(tp.rules.length)}
<form method="post" action="/capture/templates/${tp.id}/apply" class="inline">${csrf(x)}<input type="hidden" name="date" value="${date}"><button type="submit" class="link">${ct(l, 'apply')}</button></form>
${tp.mine ? html`<form method="post" action="/capture/templates/${tp.id}/withdraw" class="inline">${csrf(x)}<input type="hidden" name="date" value="${date}"><button type="submit" class="link">${ct(l, 'withdraw')}</button></form>` : ''}</li>`)}</ul>`
  : html`<p>${ct(l, 'no_templates')}</p>`}
${teams.length && rules.length
  ? html`<form method="post" action="/capture/templates" class="form" id="share-rules">${csrf(x)}<input type="hidden" name="date" value="${date}">
<label>${ct(l, 'team')}<select name="team">${teams.map((team) => html`<option>${team}</option>`)}</select></label>
<label>${ct(l, 'name')}<input type="text" name="name" required maxlength="100"></label>
<button type="submit">${ct(l, 'share')}</button></form>`
  : ''}`);
  };

  /** Runs a form post; an expected problem re-renders the day page with everything explained. */
  const post = (fn: (actor: Actor, body: Record<string, unknown>, ctx: AppContext) => Promise<string>) => (ctx: Parameters<Parameters<typeof router.post>[1]>[0]) =>
    page(c(ctx), deps, async (actor) => {
      const body = formBody(c(ctx));
      const date = dateFrom(ctx.params.date ?? body.date, ctx.params.date ? 'path.date' : 'date');
      try {
        const ok = await fn(actor, body, c(ctx));
        ctx.redirect(`/capture/day/${date}?ok=${ok}`);
      } catch (err) {
        if (err instanceof ValidationError || (err instanceof AppError && err.status < 500 && err.status !== 401)) {
          c(ctx).status = err.status;
          return dayPage(c(ctx), actor, date, problemText(c(ctx).state.lang, err, formLabels(c(ctx).state.lang, err)));
        }
        throw err;
      }
    });

  router.get('/capture/day/:date', (ctx) => page(c(ctx), deps, (actor) => dayPage(c(ctx), actor, dateFrom(ctx.params.date, 'path.date'))));
  router.post('/capture/day/:date/accept', post(async (actor, body, x) => {
    const input = validate(acceptBody, { key: field(body, 'key'), ...splitProject(field(body, 'project')) }, { rename: { project_id: 'project', task_id: 'project' } });
    await acceptSuggestion(deps, actor, dateFrom(x.params.date, 'path.date'), input);
    return 'accepted';
  }));
  router.post('/capture/rules', post(async (actor, body) => {
    const rule = validate(mappingRule, { field: field(body, 'field'), pattern: field(body, 'pattern'), ...splitProject(field(body, 'project')) }, { rename: { project_id: 'project', task_id: 'project' } });
    await writeMapping(deps, actor.accountId, [...(await readMapping(deps, actor.accountId)), rule]);
    return 'saved';
  }));
  router.post('/capture/rules/:n/delete', post(async (actor, _body, x) => {
    const rules = await readMapping(deps, actor.accountId);
    const n = Number(x.params.n);
    if (!Number.isInteger(n) || n < 0 || n >= rules.length) throw new ValidationError([captureProblem('path.n', 'rule.none')]);
    await writeMapping(deps, actor.accountId, rules.filter((_, i) => i !== n));
    return 'saved';
  }));
  router.post('/capture/templates', post(async (actor, body) => {
    await publishTemplate(deps, actor, validate(publishTemplateBody, { team: field(body, 'team'), name: field(body, 'name') }));
    return 'saved';
  }));
  router.post('/capture/templates/:id/apply', post(async (actor, _body, x) => {
    await applyTemplate(deps, actor, uuidFrom(x.params.id));
    return 'saved';
  }));
  router.post('/capture/templates/:id/withdraw', post(async (actor, _body, x) => {
    await withdrawTemplate(deps, actor, uuidFrom(x.params.id));
    return 'saved';
  }));
  return router;
}
