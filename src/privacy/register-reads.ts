import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { Actor } from '../identity/policy.js';
import type { PrivacyDeps } from './context.js';

/** Which view of a register was read. */
export type RegisterView = 'requests' | 'request' | 'breaches' | 'breach';

/**
 * Records one read of a register (page or API) by a privacy officer or auditor: the
 * view, the entry when it is one, and the filters (query keys and values, which name
 * states and dates, never content). Called after the read succeeded, so a refused or
 * unknown id records nothing.
 */
export async function auditRegisterView(deps: Pick<PrivacyDeps, 'db' | 'audit'>, actor: Actor, view: RegisterView, opts: { id?: string; filters?: Record<string, unknown> } = {}): Promise<void> {
  const filters = Object.fromEntries(Object.entries(opts.filters ?? {}).filter(([k, v]) => typeof v === 'string' && !['lang', 'ok', 'token'].includes(k)).map(([k, v]) => [k, String(v).slice(0, 100)]));
  const type = view === 'request' || view === 'requests' ? 'privacy_request' : 'privacy_breach';
  await deps.audit.append({
    action: AUDIT_ACTIONS.privacyRegisterViewed, actorId: actor.accountId,
    object: opts.id ? { type, id: opts.id } : null,
    payload: { view, filters },
  });
}
