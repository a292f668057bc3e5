import type { Knex } from '../platform/db.js';
import { html, type SafeHtml } from '../web/html.js';
import { ALARM_TITLES, applyFindings, openAlarms, OPERATIONAL_KINDS, type AlarmDeps, type AlarmResult, type Finding, type OpenAlarm } from './alarms.js';

/**
 * Operational failures (issue 13): directory sync failed or held back, backup older
 * than configured, mail relay unreachable, background jobs failing. Each check reads
 * the table where the failure shows; the operators get mail (deduplicated through
 * `alarms`) and the operator page shows `operationalStatusSection`.
 */

/** The figures the checks and /metrics read. */
export interface OperationalFigures {
  /** Outcome of the latest directory sync run, if any. */
  syncOutcome: 'applied' | 'blocked' | 'failed' | null;
  /** Seconds since the last recorded backup (or, with none, since the appliance's first audit event). */
  backupAgeSeconds: number | null;
  /** Age of the oldest mail still waiting in the outbox. */
  oldestPendingMailSeconds: number;
  /** Failed jobs within the window, by queue. */
  failedJobs: Record<string, number>;
}

/** Reads the operational figures at `now`. */
export async function operationalFigures(db: Knex, now: Date, windowMinutes: number): Promise<OperationalFigures> {
  const sync = (await db('directory_sync_runs').orderBy('started_at', 'desc').first('outcome')) as { outcome: OperationalFigures['syncOutcome'] } | undefined;
  const backup = (await db('backup_runs').max({ at: 'finished_at' }).first()) as { at: Date | null } | undefined;
  const born = backup?.at ? null : ((await db('audit.events').orderBy('seq').first('at')) as { at: Date } | undefined);
  const since = backup?.at ?? born?.at ?? null;
  const mail = (await db('mail_outbox').where({ status: 'pending' }).min({ at: 'created_at' }).first()) as { at: Date | null } | undefined;
  const jobs = (await db('pgboss.job')
    .where({ state: 'failed' })
    .where('completed_on', '>', new Date(now.getTime() - windowMinutes * 60_000))
    .groupBy('name')
    .select('name', db.raw('count(*)::int as n'))) as Array<{ name: string; n: number }>;
  const age = (d: Date | null | undefined) => (d ? Math.max(0, Math.floor((now.getTime() - d.getTime()) / 1000)) : null);
  return {
    syncOutcome: sync?.outcome ?? null,
    backupAgeSeconds: age(since),
    oldestPendingMailSeconds: age(mail?.at) ?? 0,
    failedJobs: Object.fromEntries(jobs.map((j) => [j.name, j.n])),
  };
}

/** The findings the figures amount to, under the configured limits. */
export function operationalFindings(f: OperationalFigures, limits: AlarmDeps['config']['alarms']): Finding[] {
  const out: Finding[] = [];
  if (f.syncOutcome === 'failed' || f.syncOutcome === 'blocked') out.push({ kind: 'directory_sync', key: 'sync', detail: { outcome: f.syncOutcome } });
  const maxAge = limits.backup_max_age_hours * 3600;
  if (maxAge > 0 && f.backupAgeSeconds !== null && f.backupAgeSeconds > maxAge) out.push({ kind: 'backup_age', key: 'backup', detail: { age_hours: Math.floor(f.backupAgeSeconds / 3600), max_hours: limits.backup_max_age_hours } });
  if (f.oldestPendingMailSeconds > limits.mail_stuck_minutes * 60) out.push({ kind: 'mail_relay', key: 'outbox', detail: { oldest_minutes: Math.floor(f.oldestPendingMailSeconds / 60) } });
  for (const [queue, n] of Object.entries(f.failedJobs)) out.push({ kind: 'jobs_failing', key: queue, detail: { failed: n, window_minutes: limits.window_minutes } });
  return out;
}

/** Runs the operational checks and records what they found (mail to operators for each new incident). */
export async function runOperationalChecks(deps: AlarmDeps): Promise<AlarmResult> {
  const figures = await operationalFigures(deps.db, deps.clock.now(), deps.config.alarms.window_minutes);
  return applyFindings(deps, OPERATIONAL_KINDS, operationalFindings(figures, deps.config.alarms));
}

/** Dutch titles of the alarm kinds, for the operator page. */
const TITLES_NL: Record<string, string> = {
  directory_sync: 'Directorysynchronisatie mislukt of tegengehouden',
  backup_age: 'De laatste back-up is ouder dan ingesteld',
  mail_relay: 'De mailrelay neemt al een uur of langer geen mail aan',
  jobs_failing: 'Achtergrondtaken mislukken',
};

/**
 * The operator page's "operational failures" section: each open operational alarm
 * with when it started and its counts, or a line saying there are none.
 */
export async function operationalStatusSection(db: Knex, lang: 'nl' | 'en'): Promise<SafeHtml> {
  const open: OpenAlarm[] = await openAlarms(db, 'operational');
  const title = lang === 'nl' ? 'Operationele storingen' : 'Operational failures';
  const item = (a: OpenAlarm) => {
    const name = lang === 'nl' ? (TITLES_NL[a.kind] ?? ALARM_TITLES[a.kind]) : ALARM_TITLES[a.kind];
    const facts = Object.entries(a.detail).map(([k, v]) => `${k}: ${String(v)}`).join(', ');
    const at = a.opened_at.toISOString();
    return html`<li><strong>${name}</strong> — ${lang === 'nl' ? 'sinds' : 'since'} <time datetime="${at}">${at.slice(0, 16).replace('T', ' ')} UTC</time> (${facts})</li>`;
  };
  return html`<section aria-labelledby="ops-failures-h"><h2 id="ops-failures-h">${title}</h2>
${open.length ? html`<ul id="ops-failures">${open.map(item)}</ul>` : html`<p id="ops-failures">${lang === 'nl' ? 'Geen.' : 'None.'}</p>`}</section>`;
}
