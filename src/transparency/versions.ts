import { AUDIT_ACTIONS, SYSTEM_ACTOR } from '../audit/actions.js';
import type { AuditLog } from '../audit/service.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import { privacySettings } from './facts.js';

/**
 * Versions of the privacy-relevant settings. The configuration lives in a file, so a
 * change shows when an appliance runs with it: the subset that the notice rests on
 * (privacySettings) is compared with the latest stored version, and a difference is
 * stored as the next version and audited (keys only; the values stay in the table,
 * since contacts are names). Each version asks everyone to read the notice again.
 */

/** One version of the privacy-relevant settings. */
export interface SettingsVersion {
  version: number;
  at: string;
  /** Keys that differ from the previous version (every key for the first). */
  changed: string[];
  settings: Record<string, string>;
}

interface VersionRow {
  version: number;
  settings: Record<string, string>;
  changed: string[];
  created_at: Date;
}

const present = (r: VersionRow): SettingsVersion => ({ version: r.version, at: r.created_at.toISOString(), changed: [...r.changed], settings: r.settings });

/** Serialises version writers across app nodes started together (any constant; this one spells "tran"). */
const VERSION_LOCK = 0x7472616e;

/**
 * Stores the configuration's privacy-relevant settings as a new version when they
 * differ from the latest one, and audits it. Returns the current version either way.
 */
export async function ensurePrivacySettingsVersion(db: Knex, audit: AuditLog, config: Readonly<Config>): Promise<SettingsVersion> {
  const now = privacySettings(config);
  return db.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(?)', [VERSION_LOCK]);
    const last = (await trx('transparency_versions').orderBy('version', 'desc').first()) as VersionRow | undefined;
    const before = last?.settings ?? {};
    const changed = [...new Set([...Object.keys(now), ...Object.keys(before)])].filter((k) => now[k] !== before[k]).sort();
    if (last && changed.length === 0) return present(last);
    const version = (last?.version ?? 0) + 1;
    const [row] = (await trx('transparency_versions').insert({ version, settings: JSON.stringify(now), changed }).returning('*')) as VersionRow[];
    await audit.record(trx, {
      action: AUDIT_ACTIONS.privacySettingsVersioned,
      actorId: SYSTEM_ACTOR,
      object: { type: 'privacy_settings', id: String(version) },
      payload: { version, first: last === undefined, changed },
    });
    return present(row!);
  });
}

/** The latest version, if any was stored. */
export async function latestVersion(db: Knex): Promise<SettingsVersion | undefined> {
  const row = (await db('transparency_versions').orderBy('version', 'desc').first()) as VersionRow | undefined;
  return row ? present(row) : undefined;
}

/**
 * The history of changes to privacy-relevant settings, oldest first: each version with
 * the keys it changed and the values it held. The works-council pack and the
 * compliance export show it.
 */
export async function privacySettingsHistory(db: Knex): Promise<SettingsVersion[]> {
  const rows = (await db('transparency_versions').orderBy('version', 'asc')) as VersionRow[];
  return rows.map(present);
}

/**
 * The current version for this process: stored on first use (the first request, or
 * whoever asks first), then kept; a failure is not kept, so the next call tries again.
 */
export function currentVersionOnce(db: Knex, audit: AuditLog, config: Readonly<Config>): () => Promise<SettingsVersion> {
  let pending: Promise<SettingsVersion> | undefined;
  return () => {
    pending ??= ensurePrivacySettingsVersion(db, audit, config).catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}
