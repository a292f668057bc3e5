import type Router from '@koa/router';
import { createLocalPerson, deactivateLocalPerson, reactivateLocalPerson, resendSetPasswordMail, updateLocalPerson } from '../identity/local-people.js';
import { personView } from '../identity/local-people-routes.js';
import { GLOBAL_ROLES, personCreateBody, personUpdateBody, teamCreateBody } from '../identity/local-schema.js';
import { createLocalTeam, listTeams, type TeamView } from '../identity/local-teams.js';
import type { AuthDeps } from '../identity/auth-service.js';
import { csrfToken } from '../identity/http.js';
import { AppError, NotFoundError, ValidationError } from '../platform/errors.js';
import { validate } from '../platform/http/api.js';
import type { AppContext, AppState } from '../platform/http/context.js';
import { html, type SafeHtml } from '../web/html.js';
import type { Lang } from '../web/i18n.js';
import { sendPage } from '../web/routes.js';
import { addProblemCatalogue, problemText, type ProblemCatalogue } from '../web/problems.js';
import { o, type OperatorKey } from './strings.js';

type Form = Record<string, unknown>;
const text = (f: Form, name: string): string => (typeof f[name] === 'string' ? (f[name] as string).trim() : '');
/** A checkbox group: absent, one value (a string) or several (an array). */
const list = (f: Form, name: string): string[] => {
  const v = f[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
};
const LABEL: Record<string, OperatorKey> = { username: 'people.username', display_name: 'people.display_name', email: 'people.email', roles: 'people.roles', teams: 'people.teams', admin_of: 'people.admin_of', name: 'teams.name' };

/** The identity domain's conflicts as the operator pages word them (nl/en, same keys; see src/web/problems.ts). */
export const OPERATOR_PROBLEMS: ProblemCatalogue = {
  en: { last_operator: 'This is the last active operator; name another operator first.' },
  nl: { last_operator: 'Dit is de laatste actieve operator; wijs eerst een andere operator aan.' },
};
addProblemCatalogue(OPERATOR_PROBLEMS);

/** The problem line of a refused form, in the page's language: each field by its label, with what is wrong. */
function problemLine(l: Lang, err: unknown): string | undefined {
  if (!(err instanceof ValidationError) && !(err instanceof AppError && (err.status === 409 || err.status === 422))) return undefined;
  // The form's own labels; a dotted field (roles.0) is named by its first part.
  const labels: Record<string, string> = Object.fromEntries(Object.entries(LABEL).map(([k, v]) => [k, o(l, v)]));
  if (err instanceof ValidationError) {
    for (const f of err.fields) {
      const first = f.field.split('.')[0]!;
      if (labels[first]) labels[f.field] = labels[first];
    }
  }
  return problemText(l, err, labels);
}

const csrf = (ctx: AppContext) => html`<input type="hidden" name="_csrf" value="${csrfToken(ctx) ?? ''}">`;

function checkboxes(l: Lang, legend: OperatorKey, name: string, options: Array<{ value: string; label: string }>, checked: readonly string[]): SafeHtml {
  return html`<fieldset><legend>${o(l, legend)}</legend>${options.map((x) => html`<label><input type="checkbox" name="${name}" value="${x.value}"${checked.includes(x.value) ? html` checked` : html``}> ${x.label}</label>`)}</fieldset>`;
}

function teamBoxes(l: Lang, teams: TeamView[], values: { teams: string[]; admin_of: string[] }): SafeHtml {
  if (!teams.length) return html`<p class="muted">${o(l, 'people.no_teams')}</p>`;
  const opts = teams.map((t) => ({ value: t.name, label: `${t.name} (${o(l, `source.${t.source}`)})` }));
  return html`${checkboxes(l, 'people.teams', 'teams', opts, values.teams)}${checkboxes(l, 'people.admin_of', 'admin_of', opts, values.admin_of)}`;
}

const roleOptions = (l: Lang) => GLOBAL_ROLES.map((r) => ({ value: r, label: o(l, `role.${r}`) }));

/**
 * The operator's pages for local people and teams: add a person (a set-password mail
 * goes out), edit one (name and mail of local people; local roles, teams and team
 * admin of anyone), deactivate, create teams. The same services and schemas as the API.
 */
export function peoplePages(router: Router<AppState>, deps: AuthDeps, requireOperator: (ctx: AppContext) => Promise<string>): void {
  const c = (ctx: unknown) => ctx as AppContext;
  const body = (ctx: AppContext): Form => ((ctx.request as { body?: Form }).body ?? {});

  const newPage = async (ctx: AppContext, values: Form, problem?: string) => {
    const l = ctx.state.lang;
    const teams = await listTeams(deps.db, deps.config);
    const v = { teams: list(values, 'teams'), admin_of: list(values, 'admin_of') };
    sendPage(ctx, deps.config, o(l, 'people.new'), html`
<h1>${o(l, 'people.new')}</h1>
${problem ? html`<p class="error" role="alert">${o(l, 'people.problem')} ${problem}</p>` : html``}
<p>${o(l, 'people.intro')}</p>
<form method="post" action="/operator/people" class="form" id="new-person">${csrf(ctx)}
<label>${o(l, 'people.username')}<input type="text" name="username" required autocomplete="off" value="${text(values, 'username')}"></label>
<label>${o(l, 'people.display_name')}<input type="text" name="display_name" value="${text(values, 'display_name')}"></label>
<label>${o(l, 'people.email')}<input type="email" name="email" required aria-describedby="email-hint" value="${text(values, 'email')}"></label>
<p id="email-hint" class="muted">${o(l, 'people.email_hint')}</p>
${checkboxes(l, 'people.roles', 'roles', roleOptions(l), values.roles === undefined ? ['employee'] : list(values, 'roles'))}
${teamBoxes(l, teams, v)}
<button type="submit">${o(l, 'people.create')}</button></form>`);
  };

  const editPage = async (ctx: AppContext, id: string, values?: Form, problem?: string) => {
    const l = ctx.state.lang;
    const p = await personView(deps.db, id);
    const teams = await listTeams(deps.db, deps.config);
    const localRoles = p.roles.filter((r) => r.source === 'local');
    const v = values
      ? { display_name: text(values, 'display_name'), email: text(values, 'email'), roles: list(values, 'roles'), teams: list(values, 'teams'), admin_of: list(values, 'admin_of') }
      : {
        display_name: p.display_name ?? '', email: p.email ?? '', roles: localRoles.filter((r) => r.role !== 'team_admin').map((r) => r.role),
        teams: p.teams.filter((x) => x.source === 'local').map((x) => x.team), admin_of: localRoles.filter((r) => r.role === 'team_admin').map((r) => r.team ?? ''),
      };
    const fromDirectory = p.roles.filter((r) => r.source === 'directory');
    const notice = ctx.query.ok && typeof ctx.query.ok === 'string' && ['people.saved', 'people.created', 'people.deactivated', 'people.mailed'].includes(ctx.query.ok) ? o(l, ctx.query.ok as OperatorKey) : undefined;
    sendPage(ctx, deps.config, o(l, 'people.edit_title'), html`
<h1>${o(l, 'people.edit_title')}: ${p.display_name ?? p.username} <code>${p.username}</code></h1>
${notice ? html`<p class="ok" role="status">${notice}</p>` : html``}
${problem ? html`<p class="error" role="alert">${o(l, 'people.problem')} ${problem}</p>` : html``}
<p>${o(l, `source.${p.source}`)} · ${o(l, `status.${p.status}`)}</p>
<form method="post" action="/operator/people/${p.id}" class="form" id="edit-person">${csrf(ctx)}
${p.source === 'local'
    ? html`<label>${o(l, 'people.display_name')}<input type="text" name="display_name" required value="${v.display_name}"></label>
<label>${o(l, 'people.email')}<input type="email" name="email" value="${v.email}"></label>`
    : html`<p class="muted">${o(l, 'people.directory_field')}</p>`}
${checkboxes(l, 'people.roles', 'roles', roleOptions(l), v.roles)}
${teamBoxes(l, teams, v)}
<button type="submit">${o(l, 'people.save')}</button></form>
${fromDirectory.length ? html`<h2>${o(l, 'people.directory_roles')}</h2><ul>${fromDirectory.map((r) => html`<li>${o(l, `role.${r.role}` as OperatorKey)}${r.team ? ` (${r.team})` : ''} — <code>${r.reason}</code></li>`)}</ul>` : html``}
${p.source === 'local'
    ? html`<form method="post" action="/operator/people/${p.id}/${p.status === 'active' ? 'deactivate' : 'reactivate'}" class="inline">${csrf(ctx)}<button type="submit">${o(l, p.status === 'active' ? 'people.deactivate' : 'people.reactivate')}</button></form>
${p.email && p.status === 'active' ? html`<form method="post" action="/operator/people/${p.id}/set-password-mail" class="inline">${csrf(ctx)}<button type="submit" class="link">${o(l, 'people.resend')}</button></form>` : html``}`
    : html``}
<p><a href="/operator#people-h">${o(l, 'people.title')}</a></p>`);
  };

  const uuidParam = (ctx: { params: Record<string, string | undefined> }) => {
    const id = ctx.params.id ?? '';
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) throw new NotFoundError();
    return id;
  };

  router.get('/operator/people/new', async (ctx) => {
    await requireOperator(c(ctx));
    await newPage(c(ctx), {});
  });
  router.post('/operator/people', async (ctx) => {
    const operatorId = await requireOperator(c(ctx));
    const f = body(c(ctx));
    try {
      const input = validate(personCreateBody, { username: text(f, 'username'), display_name: text(f, 'display_name') || undefined, email: text(f, 'email'), roles: list(f, 'roles'), teams: list(f, 'teams'), admin_of: list(f, 'admin_of') });
      const r = await createLocalPerson(deps, { username: input.username, displayName: input.display_name, email: input.email, roles: input.roles, teams: input.teams, adminOf: input.admin_of }, operatorId);
      ctx.redirect(`/operator/people/${r.id}?ok=people.created`);
    } catch (err) {
      const problem = problemLine(c(ctx).state.lang, err);
      if (!problem) throw err;
      ctx.status = err instanceof AppError ? err.status : 422;
      await newPage(c(ctx), f, problem);
    }
  });
  router.get('/operator/people/:id', async (ctx) => {
    await requireOperator(c(ctx));
    await editPage(c(ctx), uuidParam(ctx));
  });
  router.post('/operator/people/:id', async (ctx) => {
    const operatorId = await requireOperator(c(ctx));
    const id = uuidParam(ctx);
    const f = body(c(ctx));
    const account = await deps.db('accounts').where({ id }).first('source');
    if (!account) throw new NotFoundError();
    try {
      const local = account.source === 'local';
      const input = validate(personUpdateBody, {
        ...(local ? { display_name: text(f, 'display_name'), email: text(f, 'email') || null } : {}),
        roles: list(f, 'roles'), teams: list(f, 'teams'), admin_of: list(f, 'admin_of'),
      });
      await updateLocalPerson(deps, id, { displayName: input.display_name, email: input.email, roles: input.roles, teams: input.teams, adminOf: input.admin_of }, operatorId);
      ctx.redirect(`/operator/people/${id}?ok=people.saved`);
    } catch (err) {
      const problem = problemLine(c(ctx).state.lang, err);
      if (!problem) throw err;
      ctx.status = err instanceof AppError ? err.status : 422;
      await editPage(c(ctx), id, f, problem);
    }
  });
  const action = (path: string, fn: (id: string, operatorId: string) => Promise<unknown>, ok: OperatorKey) =>
    router.post(`/operator/people/:id/${path}`, async (ctx) => {
      const operatorId = await requireOperator(c(ctx));
      const id = uuidParam(ctx);
      try {
        await fn(id, operatorId);
      } catch (err) {
        const problem = problemLine(c(ctx).state.lang, err);
        if (!problem) throw err;
        ctx.status = err instanceof AppError ? err.status : 422;
        return editPage(c(ctx), id, undefined, problem);
      }
      ctx.redirect(`/operator/people/${id}?ok=${ok}`);
    });
  action('deactivate', (id, op) => deactivateLocalPerson(deps, id, op), 'people.deactivated');
  action('reactivate', (id, op) => reactivateLocalPerson(deps, id, op), 'people.saved');
  action('set-password-mail', (id, op) => resendSetPasswordMail(deps, id, op), 'people.mailed');
  router.post('/operator/teams', async (ctx) => {
    const operatorId = await requireOperator(c(ctx));
    try {
      const input = validate(teamCreateBody, { name: text(body(c(ctx)), 'name') });
      await createLocalTeam(deps, input.name, operatorId);
    } catch (err) {
      // A code, not the message: the console never echoes text from a URL.
      if (err instanceof ValidationError || (err instanceof AppError && err.status === 409)) {
        ctx.redirect(`/operator?team_problem=${err instanceof ValidationError ? 'invalid' : 'exists'}#teams-h`);
        return;
      }
      throw err;
    }
    ctx.redirect('/operator?team_created=1#teams-h');
  });
}

/** The people-and-teams section of the operator console: the teams, a form for a new one, a link to add a person. */
export async function peopleSection(ctx: AppContext, deps: AuthDeps): Promise<SafeHtml> {
  const l = ctx.state.lang;
  const teams = await listTeams(deps.db, deps.config);
  const problem = ctx.query.team_problem === 'invalid' ? o(l, 'teams.invalid') : ctx.query.team_problem === 'exists' ? o(l, 'teams.exists') : undefined;
  return html`<section aria-labelledby="people-h"><h2 id="people-h">${o(l, 'people.title')}</h2>
<p>${o(l, 'people.intro')}</p>
<p><a href="/operator/people/new" class="button">${o(l, 'people.new')}</a></p>
<h3 id="teams-h">${o(l, 'teams.title')}</h3>
${ctx.query.team_created ? html`<p class="ok" role="status">${o(l, 'teams.created')}</p>` : html``}
${problem ? html`<p class="error" role="alert">${o(l, 'people.problem')} ${problem}</p>` : html``}
${teams.length ? html`<table class="list" id="teams"><thead><tr><th scope="col">${o(l, 'teams.name')}</th><th scope="col">${o(l, 'teams.source')}</th><th scope="col">${o(l, 'teams.members')}</th><th scope="col">${o(l, 'teams.admins')}</th></tr></thead>
<tbody>${teams.map((x) => html`<tr><td>${x.name}</td><td>${o(l, `source.${x.source}`)}</td><td>${x.members}</td><td>${x.admins}</td></tr>`)}</tbody></table>` : html``}
<form method="post" action="/operator/teams" class="form" id="new-team">${csrf(ctx)}<label>${o(l, 'teams.name')}<input type="text" name="name" required maxlength="63"></label><button type="submit">${o(l, 'teams.new')}</button></form>
</section>`;
}
