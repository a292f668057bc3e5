import type { KeyObject } from 'node:crypto';
import { AUDIT_ACTIONS, SYSTEM_ACTOR } from '../audit/actions.js';
import type { Knex } from '../platform/db.js';
import { enqueueMail } from '../platform/mail/outbox.js';
import { insertBreach } from './breaches.js';
import type { PrivacyDeps } from './context.js';

/**
 * Alarms (issue 13): signals that can mean a breach or a loss, and operational
 * failures. A periodic check hands in what it found (`Finding`s) for the kinds it
 * looked at; each new incident opens one `alarms` row (the partial unique index keeps
 * one open row per kind and key, so a continuing condition is one incident, not one
 * per run), a suspected one also opens a suspected entry in the breach register, and
 * mail goes to the privacy officers and operators (suspected) or the operators
 * (operational). A condition that is gone closes its row; if it comes back later, that
 * is a new incident. Mails carry the recipient's name, what kind of signal, and a link:
 * never whom it concerns.
 */

export const SUSPECTED_KINDS = ['audit_verify', 'key_canary', 'checkpoint_missed', 'admin_reads', 'failed_signins', 'mass_export'] as const;
export const OPERATIONAL_KINDS = ['directory_sync', 'backup_age', 'mail_relay', 'jobs_failing'] as const;
export type SuspectedKind = (typeof SUSPECTED_KINDS)[number];
export type OperationalKind = (typeof OPERATIONAL_KINDS)[number];
export type AlarmKind = SuspectedKind | OperationalKind;

/** One condition found by a check: which thing (`key`, no personal content) and counts. */
export interface Finding {
  kind: AlarmKind;
  key: string;
  detail: Record<string, string | number | boolean | null>;
}

/** What the alarm checks need beyond the registers' deps: the keyring (canaries, checkpoint key). */
export interface AlarmKeyring {
  auditSigningKey(): { publicKey: KeyObject; keyId: string };
  has(version: number): boolean;
  kek(version: number): KeyObject;
}

/** The alarms' dependencies. */
export interface AlarmDeps extends PrivacyDeps {
  keyring: AlarmKeyring;
}

/** The actor alarms record breach entries and audit events as. */
export const ALARM_ACTOR = 'system:alarms';

/** One line per kind, for mail, breach entries and the operator page (English; the page translates). */
export const ALARM_TITLES: Record<AlarmKind, string> = {
  audit_verify: 'Audit log verification failed (an event or checkpoint does not verify)',
  key_canary: 'A key canary no longer decrypts (wrong or damaged key encryption key)',
  checkpoint_missed: 'The audit checkpoint job did not run on schedule',
  admin_reads: "Unusual volume of reads of other people's days by one admin",
  failed_signins: 'Many failed sign-ins for one account or from one address',
  mass_export: 'A mass export of personal data by one account',
  directory_sync: 'Directory sync failed or was held back',
  backup_age: 'The last backup is older than configured',
  mail_relay: 'The mail relay has not taken mail for an hour or more',
  jobs_failing: 'Background jobs are failing',
};

/** What one pass did. */
export interface AlarmResult {
  opened: number;
  cleared: number;
}

const isSuspected = (k: AlarmKind): boolean => (SUSPECTED_KINDS as readonly string[]).includes(k);

/** People with a role who can receive mail. */
async function recipients(db: Knex | Knex.Transaction, roles: readonly string[]): Promise<Array<{ email: string; name: string }>> {
  return (await db('role_assignments as r')
    .join('accounts as a', 'a.id', 'r.account_id')
    .whereIn('r.role', roles)
    .where('a.status', 'active')
    .whereNotNull('a.email')
    .distinct('a.email', db.raw('coalesce(a.display_name, a.username) as name'))) as Array<{ email: string; name: string }>;
}

/** The appliance's own address for links in mail. */
export function baseUrl(deps: Pick<PrivacyDeps, 'config'>): string {
  return (deps.config.server.public_url ?? `http://${deps.config.server.host}:${deps.config.server.port}`).replace(/\/$/, '');
}

async function mailAbout(deps: AlarmDeps, trx: Knex.Transaction, kind: AlarmKind, breach: { id: string; number: number } | null): Promise<number> {
  const suspected = breach !== null;
  const to = await recipients(trx, suspected ? ['dpo', 'operator'] : ['operator']);
  const base = baseUrl(deps);
  const what = suspected
    ? `It was entered in the breach register as suspected breach ${breach.number}; assess it there:\n${base}/privacy/breaches/${breach.id}`
    : `See the operator page:\n${base}/operator`;
  for (const r of to) {
    await enqueueMail(trx, {
      to: [r.email],
      subject: suspected ? 'Uurwerk: alarm — suspected breach' : 'Uurwerk: operational failure',
      text: `Hello ${r.name},\n\nUurwerk raised an alarm: ${ALARM_TITLES[kind]}.\n\n${what}\n`,
    }, { cipher: deps.keys });
  }
  return to.length;
}

async function openSuspected(deps: AlarmDeps, trx: Knex.Transaction, f: Finding, at: Date): Promise<{ id: string; number: number }> {
  const facts = Object.entries(f.detail).map(([k, v]) => `${k}: ${String(v)}`).join(', ');
  const id = await insertBreach(deps, trx, ALARM_ACTOR, {
    status: 'suspected', detected_at: at.toISOString(), aware_at: at.toISOString(),
    what_happened: `Alarm: ${ALARM_TITLES[f.kind]}. Concerns: ${f.key}. ${facts}`.slice(0, 5000),
    data_categories: 'to be assessed', people_count: null, records_count: null, consequences: '', measures: '',
    internal_notice_at: null, authority: 'pending', authority_at: null, authority_reason: null,
    people_informed: 'pending', people_informed_at: null, people_informed_reason: null, note: null,
  });
  const row = (await trx('privacy_breaches').where({ id }).first('number')) as { number: string };
  return { id, number: Number(row.number) };
}

/**
 * Records the findings of one check pass over `kinds`: opens (and announces) the new
 * incidents, refreshes the continuing ones, closes the open ones of those kinds (and
 * keys the caller `owns`: the periodic check leaves `cli:` keys to the CLI) that were
 * not found again. Runs in one transaction, locked, so two nodes do not both open.
 */
export async function applyFindings(deps: AlarmDeps, kinds: readonly AlarmKind[], findings: readonly Finding[], owns: (key: string) => boolean = (k) => !k.startsWith('cli:')): Promise<AlarmResult> {
  const at = deps.clock.now();
  return deps.db.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(1970631287, 13)');
    let opened = 0;
    for (const f of findings) {
      const inserted = (await trx.raw(
        `INSERT INTO alarms (kind, key, category, opened_at, last_seen_at, detail) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (kind, key) WHERE cleared_at IS NULL DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at, detail = EXCLUDED.detail
         RETURNING id, (xmax = 0) AS fresh`,
        [f.kind, f.key, isSuspected(f.kind) ? 'suspected' : 'operational', at, at, JSON.stringify(f.detail)],
      )) as { rows: Array<{ id: string; fresh: boolean }> };
      const row = inserted.rows[0]!;
      if (!row.fresh) continue;
      opened++;
      const breach = isSuspected(f.kind) ? await openSuspected(deps, trx, f, at) : null;
      if (breach) await trx('alarms').where({ id: row.id }).update({ breach_id: breach.id });
      const mails = await mailAbout(deps, trx, f.kind, breach);
      await deps.audit.record(trx, { action: AUDIT_ACTIONS.alarmRaised, actorId: ALARM_ACTOR, object: { type: 'alarm', id: row.id }, payload: { kind: f.kind, breach: breach?.number ?? null, mails } });
    }
    const found = new Set(findings.map((f) => `${f.kind}\n${f.key}`));
    const open = (await trx('alarms').whereIn('kind', kinds).whereNull('cleared_at').select('id', 'kind', 'key')) as Array<{ id: string; kind: AlarmKind; key: string }>;
    const gone = open.filter((o) => owns(o.key) && !found.has(`${o.kind}\n${o.key}`));
    for (const g of gone) {
      await trx('alarms').where({ id: g.id }).update({ cleared_at: at });
      await deps.audit.record(trx, { action: AUDIT_ACTIONS.alarmCleared, actorId: SYSTEM_ACTOR, object: { type: 'alarm', id: g.id }, payload: { kind: g.kind } });
    }
    return { opened, cleared: gone.length };
  });
}

/** An alarm as the operator page and /metrics show it. */
export interface OpenAlarm {
  kind: AlarmKind;
  category: 'suspected' | 'operational';
  opened_at: Date;
  last_seen_at: Date;
  detail: Record<string, unknown>;
}

/** The open alarms, newest first. */
export async function openAlarms(db: Knex | Knex.Transaction, category?: 'suspected' | 'operational'): Promise<OpenAlarm[]> {
  const q = db('alarms').whereNull('cleared_at').orderBy('opened_at', 'desc').select('kind', 'category', 'opened_at', 'last_seen_at', 'detail');
  if (category) q.where({ category });
  return (await q) as OpenAlarm[];
}
