import Router from '@koa/router';
import type { Actor } from '../identity/policy.js';
import { AppError } from '../platform/errors.js';
import { validate } from '../platform/http/api.js';
import type { AppContext, AppState } from '../platform/http/context.js';
import { html } from '../web/html.js';
import { t } from '../web/i18n.js';
import { sendPage } from '../web/routes.js';
import { importMasterData } from './import.js';
import { createCustomer, createProject, createTask, listProjects, setProjectArchived } from './master-data.js';
import type { TimesheetDeps } from './context.js';
import { canManageMasterData } from './policy.js';
import * as s from './schema.js';
import { problemText as pageProblemText } from '../web/problems.js';
import { field, formBody, c, csrf, notice, page, idFrom, problemText, type Form } from './page-kit.js';

/** Customers, projects and tasks: the list for everyone, the forms for those who manage them. */
export function masterDataPages(router: Router<AppState>, deps: TimesheetDeps): void {
  const masterDataPage = async (x: AppContext, actor: Actor, problem?: string) => {
    const l = x.state.lang;
    const manage = canManageMasterData(actor);
    const projects = await listProjects(deps.db, manage);
    const customers = (await deps.db('customers').whereNull('archived_at').orderBy('name').select('id', 'name')) as Array<{ id: string; name: string }>;
    sendPage(x, deps.config, t(l, 'ts.md_title'), html`
<h1>${t(l, 'ts.md_title')}</h1>
${notice(x, problem)}
<table class="list" id="projects"><thead><tr><th>${t(l, 'ts.md_customer')}</th><th>${t(l, 'ts.project')}</th><th>${t(l, 'ts.task')}</th><th>${t(l, 'ts.md_billable')}</th><th>${t(l, 'ts.md_budget')}</th><th></th></tr></thead>
<tbody>${projects.map((p) => html`<tr><td>${p.customer_name ?? t(l, 'ts.md_internal')}</td><td>${p.name}${p.archived ? html` (${t(l, 'ts.md_archived')})` : ''}</td>
<td>${p.tasks.map((task) => task.name).join(', ')}${manage && !p.archived ? html`<form method="post" action="/timesheets/projects/${p.id}/tasks">${csrf(x)}<label>${t(l, 'ts.md_add_task')} <input type="text" name="name" required></label> <button type="submit" class="link">${t(l, 'ts.md_add_task')}</button></form>` : ''}</td>
<td>${p.billable ? t(l, 'ts.yes') : t(l, 'ts.no')}</td><td>${p.budget_hours ?? ''}</td>
<td>${manage ? html`<form method="post" action="/timesheets/projects/${p.id}/archived">${csrf(x)}<input type="hidden" name="archived" value="${p.archived ? 'false' : 'true'}"><button type="submit" class="link">${p.archived ? t(l, 'ts.md_restore') : t(l, 'ts.md_archive')}</button></form>` : ''}</td></tr>`)}</tbody></table>
${manage
  ? html`<h2>${t(l, 'ts.md_add_project')}</h2>
<form method="post" action="/timesheets/projects" class="form" id="add-project">${csrf(x)}
<label>${t(l, 'ts.md_name')}<input type="text" name="name" required></label>
<label>${t(l, 'ts.md_customer')}<select name="customer_id"><option value="">${t(l, 'ts.md_internal')}</option>${customers.map((cu) => html`<option value="${cu.id}">${cu.name}</option>`)}</select></label>
<label><input type="checkbox" name="billable" value="yes"> ${t(l, 'ts.md_billable')}</label>
<label>${t(l, 'ts.md_budget')}<input type="text" name="budget_hours" inputmode="decimal"></label>
<button type="submit">${t(l, 'ts.md_add_project')}</button></form>
<h2>${t(l, 'ts.md_add_customer')}</h2>
<form method="post" action="/timesheets/customers" class="form">${csrf(x)}<label>${t(l, 'ts.md_name')}<input type="text" name="name" required></label><button type="submit">${t(l, 'ts.md_add_customer')}</button></form>
<h2>${t(l, 'ts.md_import')}</h2>
<form method="post" action="/timesheets/projects/import" class="form">${csrf(x)}<p>${t(l, 'ts.md_import_hint')}</p>
<label>CSV<textarea name="csv" rows="8" cols="60" required></textarea></label><button type="submit">${t(l, 'ts.md_import')}</button></form>`
  : ''}`);
  };

  /** Runs a master-data form post: expected problems re-render the page with the message. */
  const mdPost = (fn: (actor: Actor, body: Form) => Promise<unknown>, opts: { maxLength?: number } = {}) => (ctx: Parameters<Parameters<typeof router.post>[1]>[0]) =>
    page(c(ctx), deps, async (actor) => {
      try {
        await fn(actor, formBody(c(ctx)));
      } catch (err) {
        const problem = problemText(err, c(ctx).state.lang) ?? (err instanceof AppError && err.status === 403 ? pageProblemText(c(ctx).state.lang, err) : undefined);
        if (!problem) throw err;
        c(ctx).status = err instanceof AppError ? err.status : 422;
        return masterDataPage(c(ctx), actor, problem);
      }
      ctx.redirect('/timesheets/projects?ok=ts.saved');
    }, opts);

  router.get('/timesheets/projects', (ctx) => page(c(ctx), deps, (actor) => masterDataPage(c(ctx), actor)));
  // Each form is turned into the API's request shape and held to the API's schema.
  router.post('/timesheets/customers', mdPost((actor, body) => createCustomer(deps.db, actor, validate(s.customerBody, { name: field(body, 'name') }))));
  router.post('/timesheets/projects', mdPost((actor, body) => {
    const budgetText = field(body, 'budget_hours').trim().replace(',', '.');
    const input = validate(s.projectBody, {
      name: field(body, 'name'),
      customer_id: field(body, 'customer_id') || null,
      billable: field(body, 'billable') === 'yes',
      budget_hours: budgetText === '' ? null : Number(budgetText),
    });
    return createProject(deps.db, actor, input);
  }));
  router.post('/timesheets/projects/import', mdPost((actor, body) => importMasterData(deps.db, actor, validate(s.importBody, { csv: field(body, 'csv') })), { maxLength: s.IMPORT_MAX_CSV_LENGTH }));
  router.post('/timesheets/projects/:id/tasks', (ctx) =>
    mdPost((actor, body) => createTask(deps.db, actor, idFrom(ctx.params.id), validate(s.taskBody, { name: field(body, 'name') })))(ctx),
  );
  router.post('/timesheets/projects/:id/archived', (ctx) =>
    mdPost((actor, body) => {
      const raw = field(body, 'archived');
      const { archived } = validate(s.archiveBody, { archived: raw === 'true' ? true : raw === 'false' ? false : raw });
      return setProjectArchived(deps.db, actor, idFrom(ctx.params.id), archived);
    })(ctx),
  );
}
