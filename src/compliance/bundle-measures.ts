import { AUDIT_ACTIONS } from '../audit/actions.js';
import { PRIVILEGED_ROLES } from '../identity/policy.js';
import { activeKekVersion, listCanaries } from '../keys/repository.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import { retentionFindings } from '../retention/findings.js';

/**
 * The technical and organisational measures as they stand, read from the live
 * configuration, the keyring's records and the audit log: what `measures.json` of the
 * compliance export says. Where the appliance keeps no record (no `uurwerk backup` has
 * finished since backups are recorded in `backup_runs`), it says so rather than guess.
 */

/** One recorded change of configuration keys (values are never recorded, only which keys changed). */
export interface SettingChange {
  seq: number;
  at: string;
  actor_id: string;
  changed: string[];
  /** Of `changed`, the keys that touch privacy (retention, second factor, TLS, directory roles). */
  privacy_relevant: string[];
}

/** Keys whose change weakens or strengthens privacy, by prefix. */
const PRIVACY_PREFIXES = ['retention.', 'auth.', 'server.tls', 'directory.roles', 'mail.tls', 'keys.', 'capture.', 'reports.'];

const isoOrNull = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

async function lastEventAt(db: Knex, action: string): Promise<string | null> {
  const r = (await db.withSchema('audit').table('events').where({ action }).orderBy('at', 'desc').first('at')) as { at: Date } | undefined;
  return isoOrNull(r?.at);
}

/** Every `config.setting.changed` event in log order: which keys changed, when, seen by whom. */
export async function settingChanges(db: Knex): Promise<SettingChange[]> {
  const rows = (await db.withSchema('audit').table('events').where({ action: AUDIT_ACTIONS.configChanged }).orderBy('seq')
    .select('seq', 'at', 'actor_id', db.raw(`payload->'changed' AS changed`))) as Array<{ seq: string; at: Date; actor_id: string; changed: unknown }>;
  return rows.map((r) => {
    const changed = Array.isArray(r.changed) ? r.changed.filter((k): k is string => typeof k === 'string') : [];
    return { seq: Number(r.seq), at: r.at.toISOString(), actor_id: r.actor_id, changed, privacy_relevant: changed.filter((k) => PRIVACY_PREFIXES.some((p) => k.startsWith(p))) };
  });
}

/** The scheme of each configured outbound connection (hosts only: no credentials, no paths). */
function connections(config: Readonly<Config>): Array<{ to: string; host: string; transport: string }> {
  const out: Array<{ to: string; host: string; transport: string }> = [];
  if (config.mail.host) out.push({ to: 'mail relay', host: config.mail.host, transport: config.mail.tls });
  for (const u of config.directory.urls ?? []) {
    const url = new URL(u);
    out.push({ to: 'directory', host: url.hostname, transport: url.protocol === 'ldaps:' ? 'ldaps' : config.directory.starttls ? 'starttls' : 'plain' });
  }
  if (config.database.url) out.push({ to: 'database', host: new URL(config.database.url).hostname, transport: /sslmode=(require|verify-ca|verify-full)/.test(config.database.url) ? 'tls' : 'not required by the URL' });
  return out;
}

/** `measures.json`: the measures as they stand now. */
export async function measuresDocument(db: Knex, config: Readonly<Config>, now: Date): Promise<Record<string, unknown>> {
  const canaries = await listCanaries(db);
  const lastRun = (await db('retention_runs').where({ dry_run: false }).orderBy('started_at', 'desc').first('id', 'status', 'started_at', 'finished_at', 'error')) as
    | { id: string; status: string; started_at: Date; finished_at: Date | null; error: string | null } | undefined;
  const lastRotation = await lastEventAt(db, AUDIT_ACTIONS.kekRotated);
  const keyringBackup = await lastEventAt(db, AUDIT_ACTIONS.keyringBackedUp);
  const dbBackup = (await db('backup_runs').max({ at: 'finished_at' }).first()) as { at: Date | null } | undefined;
  const tls = config.server.tls;
  // The agent API's own port (capture.agent_port) listens on the same host with the same TLS.
  const listeners = `${config.server.host}:${config.server.port}${config.capture.agent_port ? ` and ${config.server.host}:${config.capture.agent_port} (the agent API)` : ''}`;
  return {
    as_of: now.toISOString(),
    tls: {
      https: tls !== undefined,
      where: tls ? `the appliance itself (${listeners}), minimum ${tls.min_version}` : `not on the appliance (${listeners} ${config.capture.agent_port ? 'serve' : 'serves'} plain HTTP)`,
      trusted_proxies: config.server.trusted_proxies,
      note: tls ? null : config.server.trusted_proxies.length ? 'TLS may end at the trusted proxy in front of the appliance; the appliance cannot see that proxy’s settings' : 'no TLS and no trusted proxy configured',
    },
    second_factor: {
      enforced_for_roles: config.auth.totp_required_for_all ? 'all' : [...PRIVILEGED_ROLES],
      totp_required_for_all: config.auth.totp_required_for_all,
    },
    encryption_at_rest: {
      scheme: 'AES-256-GCM; per person, purpose and year data keys wrapped by the key-encryption key (KEK) in the keyring on disk',
      active_kek_version: (await activeKekVersion(db)) ?? null,
      kek_versions: canaries.map((c) => c.kek_version),
      last_key_rotation: lastRotation ?? 'never (the first KEK is still active)',
    },
    backup: {
      database_last_backup: dbBackup?.at ? new Date(dbBackup.at).toISOString() : 'none recorded: no `uurwerk backup` has finished since backups are recorded (backup_runs); ask the operator for older backup logs',
      backup_max_age_hours: config.alarms.backup_max_age_hours,
      keyring_last_backup: keyringBackup ?? 'none recorded in the audit log',
    },
    egress: {
      outside_hosts: 'none: the appliance calls no outside host (no telemetry, no update check)',
      configured_connections: connections(config),
    },
    retention: {
      cron: config.retention.cron,
      last_run: lastRun ? { id: lastRun.id, status: lastRun.status, started_at: lastRun.started_at.toISOString(), finished_at: isoOrNull(lastRun.finished_at), error: lastRun.error } : null,
      findings: retentionFindings(config),
    },
    setting_changes: await settingChanges(db),
  };
}
