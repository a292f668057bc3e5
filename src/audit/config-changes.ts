import { createHash } from 'node:crypto';
import type { Config } from '../platform/config.js';
import { redactUrl, type Knex } from '../platform/db.js';
import { AUDIT_ACTIONS } from './actions.js';
import type { AuditLog } from './service.js';

/** The audit action of a configuration change seen at start. */
export const CONFIG_CHANGED = AUDIT_ACTIONS.configChanged;

/** Every leaf key of the configuration with a short fingerprint of its value. */
export function configFingerprints(config: Readonly<Config>): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (value: unknown, prefix: string) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, prefix ? `${prefix}.${k}` : k);
      return;
    }
    // A database URL may carry a password: only its redacted form is fingerprinted.
    const shown = prefix === 'database.url' && typeof value === 'string' ? redactUrl(value) : value;
    out[prefix] = createHash('sha256').update(JSON.stringify(shown ?? null)).digest('hex').slice(0, 16);
  };
  walk(config, '');
  return out;
}

/**
 * Configuration lives in a file, so a change shows when the appliance starts with it:
 * compares the effective configuration with the one recorded at the last change and,
 * when keys differ, records which ones in the audit log (values are not recorded,
 * only fingerprints, so nothing secret or personal enters the log).
 */
export async function recordConfigChange(db: Knex, audit: AuditLog, config: Readonly<Config>, actorId = 'system'): Promise<string[]> {
  const now = configFingerprints(config);
  const last = await db('audit.events').where({ action: CONFIG_CHANGED }).orderBy('seq', 'desc').first('payload');
  const before = (last?.payload?.fingerprints ?? {}) as Record<string, string>;
  const changed = [...new Set([...Object.keys(now), ...Object.keys(before)])].filter((k) => now[k] !== before[k]).sort();
  if (changed.length === 0) return [];
  await db.transaction((trx) =>
    audit.record(trx, { action: CONFIG_CHANGED, actorId, object: { type: 'configuration', id: 'config.yaml' }, payload: { first: last === undefined, changed, fingerprints: now } }),
  );
  return changed;
}
