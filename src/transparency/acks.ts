import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { Knex } from '../platform/db.js';
import { ConflictError } from '../platform/errors.js';
import { CONFIDENTIALITY_VERSION, type TransparencyDeps } from './context.js';

/**
 * Acknowledgements: a person confirms reading a notice version; an admin agrees to the
 * confidentiality statement. Each is stored once (account, version, time) and audited
 * in the same transaction. A small per-process memo spares the database a query on
 * every page view once a person has confirmed (acks are never withdrawn).
 */

const seen = new Set<string>();
const remember = (key: string) => {
  if (seen.size > 100_000) seen.clear();
  seen.add(key);
};

/** When the person confirmed this notice version, if they did. */
export async function noticeAcknowledgedAt(db: Knex, accountId: string, version: number): Promise<Date | undefined> {
  const row = (await db('transparency_notice_acks').where({ account_id: accountId, version }).first('acknowledged_at')) as { acknowledged_at: Date } | undefined;
  return row?.acknowledged_at;
}

/** Whether the person confirmed this notice version (memoised once true). */
export async function hasAcknowledgedNotice(db: Knex, accountId: string, version: number): Promise<boolean> {
  const key = `n:${accountId}:${version}`;
  if (seen.has(key)) return true;
  const at = await noticeAcknowledgedAt(db, accountId, version);
  if (at) remember(key);
  return at !== undefined;
}

/**
 * Records that the person read the notice version in force. `version` is what they
 * saw: an older one (the settings changed meanwhile) is refused with 409, so nobody
 * confirms a text they were not shown. Confirming twice is harmless (the first stands).
 */
export async function acknowledgeNotice(deps: TransparencyDeps, accountId: string, version: number): Promise<{ version: number; acknowledgedAt: string }> {
  const current = await deps.currentVersion();
  if (version !== current.version) throw new ConflictError(`Version ${version} is no longer in force; read version ${current.version} and confirm that`, 'notice_version_changed');
  const at = await deps.db.transaction(async (trx) => {
    const [row] = (await trx('transparency_notice_acks').insert({ account_id: accountId, version }).onConflict(['account_id', 'version']).ignore().returning('acknowledged_at')) as Array<{ acknowledged_at: Date }>;
    if (!row) return (await trx('transparency_notice_acks').where({ account_id: accountId, version }).first('acknowledged_at')).acknowledged_at as Date;
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.privacyNoticeAcknowledged, actorId: accountId, subjectId: accountId, object: { type: 'privacy_notice', id: String(version) }, payload: { version } });
    return row.acknowledged_at;
  });
  remember(`n:${accountId}:${version}`);
  return { version, acknowledgedAt: at.toISOString() };
}

/** Whether the admin agreed to the current confidentiality statement (memoised once true). */
export async function hasAcknowledgedConfidentiality(db: Knex, accountId: string): Promise<boolean> {
  const key = `c:${accountId}:${CONFIDENTIALITY_VERSION}`;
  if (seen.has(key)) return true;
  const row = await db('transparency_confidentiality_acks').where({ account_id: accountId, statement_version: CONFIDENTIALITY_VERSION }).first('account_id');
  if (row) remember(key);
  return row !== undefined;
}

/** Records that the admin agreed to the current confidentiality statement (once; audited). */
export async function acknowledgeConfidentiality(deps: TransparencyDeps, accountId: string): Promise<{ version: number; acknowledgedAt: string }> {
  const at = await deps.db.transaction(async (trx) => {
    const [row] = (await trx('transparency_confidentiality_acks').insert({ account_id: accountId, statement_version: CONFIDENTIALITY_VERSION }).onConflict(['account_id', 'statement_version']).ignore().returning('acknowledged_at')) as Array<{ acknowledged_at: Date }>;
    if (!row) return (await trx('transparency_confidentiality_acks').where({ account_id: accountId, statement_version: CONFIDENTIALITY_VERSION }).first('acknowledged_at')).acknowledged_at as Date;
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.confidentialityAcknowledged, actorId: accountId, subjectId: accountId, object: { type: 'confidentiality_statement', id: String(CONFIDENTIALITY_VERSION) }, payload: { version: CONFIDENTIALITY_VERSION } });
    return row.acknowledged_at;
  });
  remember(`c:${accountId}:${CONFIDENTIALITY_VERSION}`);
  return { version: CONFIDENTIALITY_VERSION, acknowledgedAt: at.toISOString() };
}
