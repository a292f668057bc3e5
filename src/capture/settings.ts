import { AUDIT_ACTIONS } from '../audit/actions.js';
import type { KeyService } from '../keys/types.js';
import type { Knex } from '../platform/db.js';
import { captureKeyOpts, rulesRef, settingsSubject, type CaptureDeps } from './context.js';
import { compileRules, DEFAULT_RULES, type CaptureRules, type CompiledRules } from './rules.js';

/**
 * An employee's capture settings: pause and exclusions. The patterns are sealed
 * under the person's capture settings key (a pattern such as a clinic's name is
 * itself personal); `version` lets every node's ingest path reuse its compiled copy
 * until the settings change.
 */

const compiled = new Map<string, { version: number; rules: CompiledRules }>();

/** A `capture_settings` row as the rules are compiled from it. */
export interface SettingsRow {
  account_id: string;
  paused: boolean;
  version: number;
  rules: string | null;
}

/** The compiled rules of each given account (defaults where none are kept), one query. */
export async function rulesFor(db: Knex | Knex.Transaction, keys: KeyService, accountIds: readonly string[]): Promise<Map<string, CompiledRules>> {
  const rows = (await db('capture_settings').whereIn('account_id', [...new Set(accountIds)]).select('account_id', 'paused', 'version', 'rules')) as SettingsRow[];
  return compiledRules(db, keys, rows, accountIds);
}

/**
 * The compiled rules of each given account from its settings rows (already read, e.g.
 * in the statement that locks the buckets); a row is decrypted and compiled only when
 * its version differs from the copy this process keeps.
 */
export async function compiledRules(db: Knex | Knex.Transaction, keys: KeyService, rows: readonly SettingsRow[], accountIds: readonly string[]): Promise<Map<string, CompiledRules>> {
  const out = new Map<string, CompiledRules>();
  const stale: SettingsRow[] = [];
  for (const r of rows) {
    const hit = compiled.get(r.account_id);
    if (hit?.version === r.version) out.set(r.account_id, hit.rules);
    else stale.push(r);
  }
  const plain = await keys.decryptMany(db, stale.filter((r) => r.rules).map((r) => ({ subject: settingsSubject(r.account_id), ref: rulesRef(r.account_id), envelope: r.rules! })));
  let i = 0;
  for (const r of stale) {
    const exclusions = r.rules ? (JSON.parse(plain[i++]!) as CaptureRules['exclusions']) : [];
    const rules = compileRules({ paused: r.paused, exclusions });
    if (compiled.size > 50_000) compiled.clear();
    compiled.set(r.account_id, { version: r.version, rules });
    out.set(r.account_id, rules);
  }
  for (const id of accountIds) if (!out.has(id)) out.set(id, DEFAULTS);
  return out;
}

const DEFAULTS = compileRules(DEFAULT_RULES);

/** The settings as their owner sees them. */
export async function readSettings(deps: CaptureDeps, accountId: string): Promise<CaptureRules> {
  const row = (await deps.db('capture_settings').where({ account_id: accountId }).first('paused', 'rules')) as { paused: boolean; rules: string | null } | undefined;
  if (!row) return { ...DEFAULT_RULES };
  const exclusions = row.rules ? (JSON.parse(await deps.keys.decrypt(deps.db, settingsSubject(accountId), rulesRef(accountId), row.rules)) as CaptureRules['exclusions']) : [];
  return { paused: row.paused, exclusions };
}

/** Replaces the settings (audited by which parts changed, never the patterns). */
export async function writeSettings(deps: CaptureDeps, accountId: string, next: CaptureRules): Promise<CaptureRules> {
  return deps.db.transaction(async (trx) => {
    const before = (await trx('capture_settings').where({ account_id: accountId }).forUpdate().first('paused')) as { paused: boolean } | undefined;
    const rules = await deps.keys.encrypt(trx, settingsSubject(accountId), rulesRef(accountId), JSON.stringify(next.exclusions), captureKeyOpts(new Date().getUTCFullYear()));
    await trx('capture_settings')
      .insert({ account_id: accountId, paused: next.paused, rules, version: 1 })
      .onConflict('account_id')
      .merge({ paused: next.paused, rules, version: trx.raw('capture_settings.version + 1'), updated_at: trx.fn.now() });
    await deps.audit.record(trx, {
      action: AUDIT_ACTIONS.captureSettingsChanged, actorId: accountId, subjectId: accountId, object: { type: 'capture_settings', id: accountId },
      payload: { paused: next.paused, paused_changed: (before?.paused ?? false) !== next.paused, exclusions: next.exclusions.length },
    });
    return next;
  });
}
