import Router from '@koa/router';
import { formatStatus } from '../directory/presenter.js';
import { recentRuns, syncState } from '../directory/repository.js';
import { NotFoundError } from '../platform/errors.js';
import type { AppContext, AppState } from '../platform/http/context.js';
import { html } from '../web/html.js';
import { t } from '../web/i18n.js';
import { sendPage } from '../web/routes.js';
import { loadActor, revokeAllSessions, type AuthDeps } from '../identity/auth-service.js';
import { allowEnrolment } from '../identity/enrolment-hold.js';
import { csrfToken, requireAuth } from '../identity/http.js';
import { hasRole } from '../identity/policy.js';
import type { Role } from '../identity/types.js';
import { systemClock } from '../platform/clock.js';
import type { RetentionHandler } from '../platform/retention.js';
import { listHolds } from '../retention/holds.js';
import { holdLine } from '../retention/presenter.js';
import { formatStatus as formatRetention, retentionStatus } from '../retention/status.js';
import { peoplePages, peopleSection } from './people-pages.js';
import { o, type OperatorKey } from './strings.js';
import { operationalStatusSection } from '../privacy/operational.js';

/** The retention section's own strings (nl/en), kept here beside the one section that uses them. */
const RETENTION_TEXT = {
  en: { title: 'Retention', holds: 'Legal holds in force', none: 'No legal hold is in force.', hint: 'Holds are set and released with `uurwerk hold:add` / `hold:release` or the API (/api/v1/retention/holds).' },
  nl: { title: 'Bewaartermijnen', holds: 'Lopende bewaarplichten (legal holds)', none: 'Er loopt geen legal hold.', hint: 'Holds zet en beëindigt u met `uurwerk hold:add` / `hold:release` of de API (/api/v1/retention/holds).' },
} as const;

/** One row of the operator's user list: who, and every role with the group that grants it. */
export interface UserRoleRow {
  id: string;
  username: string;
  source: string;
  status: string;
  display_name: string | null;
  enrolment_needs_confirmation: boolean;
  roles: Array<{ role: Role; team: string; reason: string }>;
}

/** Every account with its roles and their reasons (no time data: operators never see any). */
export async function usersWithRoles(deps: Pick<AuthDeps, 'db'>): Promise<UserRoleRow[]> {
  const accounts = await deps.db('accounts').orderBy(['source', 'username']).select('id', 'username', 'source', 'status', 'display_name', 'enrolment_needs_confirmation');
  const roles = (await deps.db('role_assignments').orderBy(['role', 'team', 'reason']).select('account_id', 'role', 'team', 'reason')) as Array<{ account_id: string; role: Role; team: string; reason: string }>;
  const byAccount = new Map<string, UserRoleRow['roles']>();
  for (const r of roles) (byAccount.get(r.account_id) ?? byAccount.set(r.account_id, []).get(r.account_id)!).push({ role: r.role, team: r.team, reason: r.reason });
  return accounts.map((a) => ({ ...a, roles: byAccount.get(a.id) ?? [] }));
}

/** Throws 404 unless the signed-in person is an operator (the console's existence is not revealed). */
export async function requireOperator(ctx: AppContext, deps: AuthDeps): Promise<string> {
  const auth = await requireAuth(ctx, deps.db, deps.config);
  const actor = await loadActor(deps.db, auth.accountId);
  if (!hasRole(actor, 'operator')) throw new NotFoundError();
  return auth.accountId;
}

/**
 * The operator console: directory sync status with the pending diff, retention per
 * category with the legal holds in force, and the users with their roles and why they have them. Sessions can be revoked from here.
 */
export function operatorPages(deps: AuthDeps, retentionHandlers: readonly RetentionHandler[] = []): Router<AppState> {
  const router = new Router<AppState>();
  router.get('/operator', async (ctx) => {
    const c = ctx as unknown as AppContext;
    await requireOperator(c, deps);
    const l = c.state.lang;
    const status = formatStatus(deps.config.directory, await syncState(deps.db), await recentRuns(deps.db, 10));
    const users = await usersWithRoles(deps);
    const retention = formatRetention(await retentionStatus(deps.db, deps.config.retention, retentionHandlers, systemClock));
    const holds = await listHolds(deps.db);
    const rt = RETENTION_TEXT[l];
    const token = csrfToken(c);
    const people = await peopleSection(c, deps);
    sendPage(c, deps.config, t(l, 'operator.title'), html`
<h1>${t(l, 'operator.title')}</h1>
<p class="muted">${t(l, 'operator.no_time_data')}</p>
${ctx.query.revoked ? html`<p class="ok" role="status">${t(l, 'operator.revoked')}</p>` : html``}
<section aria-labelledby="sync-h"><h2 id="sync-h">${t(l, 'operator.sync')}</h2>
<pre id="sync-status" lang="en" translate="no">${status.join('\n')}</pre>
<p class="muted">${t(l, 'operator.sync_hint')}</p></section>
${await operationalStatusSection(deps.db, l)}
<section aria-labelledby="retention-h"><h2 id="retention-h">${rt.title}</h2>
<pre id="retention-status" lang="en" translate="no">${retention.join('\n')}</pre>
<h3>${rt.holds}</h3>
${holds.length ? html`<ul id="legal-holds">${holds.map((h) => html`<li><code>${holdLine(h)}</code></li>`)}</ul>` : html`<p id="legal-holds">${rt.none}</p>`}
<p class="muted">${rt.hint}</p></section>
<section aria-labelledby="users-h"><h2 id="users-h">${t(l, 'operator.users')}</h2>
<table class="list" id="users"><thead><tr><th scope="col">${t(l, 'operator.user')}</th><th scope="col">${t(l, 'operator.source')}</th><th scope="col">${t(l, 'operator.status')}</th><th scope="col">${t(l, 'operator.roles')}</th><th scope="col"><span class="visually-hidden">${t(l, 'operator.revoke')}</span></th></tr></thead>
<tbody>${users.map((u) => html`<tr><td>${u.display_name ?? u.username} <code>${u.username}</code></td><td>${o(l, `source.${u.source}` as OperatorKey)}</td><td>${o(l, `status.${u.status}` as OperatorKey)}</td>
<td><ul>${u.roles.map((r) => html`<li>${o(l, `role.${r.role}`)}${r.team ? html` (${r.team})` : html``} — ${t(l, 'account.via')} <code>${r.reason}</code></li>`)}</ul></td>
<td><a href="/operator/people/${u.id}">${o(l, 'people.edit')}<span class="visually-hidden"> ${u.username}</span></a>
<form method="post" action="/operator/accounts/${u.id}/revoke" class="inline"><input type="hidden" name="_csrf" value="${token}"><button type="submit" class="link">${t(l, 'operator.revoke')}</button></form>
${u.enrolment_needs_confirmation ? html`<p class="notice">${t(l, 'operator.enrolment_waiting')}</p><form method="post" action="/operator/accounts/${u.id}/allow-enrolment" class="inline"><input type="hidden" name="_csrf" value="${token}"><button type="submit" class="link">${t(l, 'operator.confirm_enrolment')}</button></form>` : html``}</td></tr>`)}</tbody></table>
</section>
${people}`);
  });
  peoplePages(router, deps, (ctx) => requireOperator(ctx, deps));
  router.post('/operator/accounts/:id/revoke', async (ctx) => {
    const c = ctx as unknown as AppContext;
    const operatorId = await requireOperator(c, deps);
    const id = ctx.params.id ?? '';
    const exists = /^[0-9a-f-]{36}$/.test(id) ? await deps.db('accounts').where({ id }).first('id') : undefined;
    if (!exists) throw new NotFoundError();
    await revokeAllSessions(deps, operatorId, id, 'revoked by an operator');
    ctx.redirect('/operator?revoked=1');
  });
  router.post('/operator/accounts/:id/allow-enrolment', async (ctx) => {
    const c = ctx as unknown as AppContext;
    const operatorId = await requireOperator(c, deps);
    const id = ctx.params.id ?? '';
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new NotFoundError();
    await allowEnrolment(deps.db, deps.audit, operatorId, id);
    ctx.redirect('/operator');
  });
  return router;
}
