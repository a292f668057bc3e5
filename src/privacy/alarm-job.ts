import type { MetricsRegistry } from '../platform/metrics.js';
import type { AlarmDeps, AlarmResult } from './alarms.js';
import type { PrivacyDeps } from './context.js';
import { operationalFigures, runOperationalChecks } from './operational.js';
import { runSuspectedChecks } from './suspected.js';

/**
 * The periodic alarm pass and the alarm figures on /metrics. A check that throws
 * (the database gone for a moment) fails the job, which pg-boss retries and which
 * itself shows as a failing job.
 */

/** Runs the suspected-breach checks, then the operational ones. */
export async function runAlarmChecks(deps: AlarmDeps): Promise<{ suspected: AlarmResult; operational: AlarmResult }> {
  const suspected = await runSuspectedChecks(deps);
  const operational = await runOperationalChecks(deps);
  return { suspected, operational };
}

/** Registers the alarm and operational gauges, read from the database at scrape time. */
export function registerAlarmMetrics(registry: MetricsRegistry, deps: Pick<PrivacyDeps, 'db' | 'clock' | 'config'>): void {
  const figures = () => operationalFigures(deps.db, deps.clock.now(), deps.config.alarms.window_minutes);
  registry.gauge('uurwerk_alarms_open', 'Open alarms by kind and category.', async () =>
    ((await deps.db('alarms').whereNull('cleared_at').groupBy('kind', 'category').select('kind', 'category', deps.db.raw('count(*)::int as n'))) as Array<{ kind: string; category: string; n: number }>)
      .map((r) => ({ labels: { kind: r.kind, category: r.category }, value: r.n })));
  registry.gauge('uurwerk_alarm_incidents', 'Alarm incidents ever opened, by kind.', async () =>
    ((await deps.db('alarms').groupBy('kind').select('kind', deps.db.raw('count(*)::int as n'))) as Array<{ kind: string; n: number }>).map((r) => ({ labels: { kind: r.kind }, value: r.n })));
  registry.gauge('uurwerk_backup_age_seconds', 'Seconds since the last recorded backup.', async () => {
    const f = await figures();
    return f.backupAgeSeconds === null ? [] : [{ value: f.backupAgeSeconds }];
  });
  registry.gauge('uurwerk_mail_oldest_pending_seconds', 'Age of the oldest mail waiting in the outbox (0: none).', async () => [{ value: (await figures()).oldestPendingMailSeconds }]);
  registry.gauge('uurwerk_jobs_failed', 'Background jobs failed within the alarm window, by queue.', async () =>
    Object.entries((await figures()).failedJobs).map(([queue, n]) => ({ labels: { queue }, value: n })));
  registry.gauge('uurwerk_directory_sync_ok', 'Whether the latest directory sync was applied (1) or failed or was held back (0).', async () => {
    const o = (await figures()).syncOutcome;
    return o === null ? [] : [{ value: o === 'applied' ? 1 : 0 }];
  });
}
