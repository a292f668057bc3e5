import type { DirectoryConfig } from '../platform/config.js';
import type { SyncDiff } from './plan.js';
import type { SyncRunRow, SyncStateRow } from './repository.js';

/** At most this many names per section of a printed diff; the counts are always complete. */
const MAX_LISTED = 50;

function section<T>(title: string, items: T[], line: (x: T) => string): string[] {
  if (items.length === 0) return [];
  const shown = items.slice(0, MAX_LISTED).map((x) => `  ${line(x)}`);
  if (items.length > MAX_LISTED) shown.push(`  … and ${items.length - MAX_LISTED} more`);
  return [`${title}: ${items.length}`, ...shown];
}

/** A diff as text lines for the terminal (`ldap:sync --dry-run`, `ldap:status`). */
export function formatDiff(d: SyncDiff): string[] {
  const lines = [
    ...section('created', d.created, (p) => p.username),
    ...section('updated', d.updated, (p) => `${p.username} (${p.fields.join(', ')})`),
    ...section('disabled', d.disabled, (p) => `${p.username} (${p.reason})`),
    ...section('re-enabled', d.reEnabled, (p) => p.username),
    ...section('deactivated', d.deactivated, (p) => p.username),
    ...section('role changes', d.roleChanges, (c) => `${c.change === 'added' ? '+' : '-'} ${c.username}: ${c.role}${c.team ? ` (${c.team})` : ''} via ${c.reason}`),
    ...section('team scope changes', d.scopeChanges, (s) => `${s.team}: +${s.added} -${s.removed}`),
    ...section('sessions revoked for', d.revokeSessions, (p) => `${p.username} (${p.reason})`),
  ];
  return lines.length ? lines : ['no changes'];
}

/** The sync status: configuration summary, bookmark, recent runs and the pending diff of a held-back run. */
export function formatStatus(config: DirectoryConfig, state: SyncStateRow | undefined, runs: SyncRunRow[]): string[] {
  const lines: string[] = [];
  if (config.urls.length === 0) lines.push('directory: not configured (directory.urls is empty)');
  else lines.push(`directory: ${config.urls.join(', ')}; sync ${config.sync_cron}, full reconcile ${config.full_reconcile_cron}`);
  if (state) {
    lines.push(`bookmark: ${state.server_url} usn ${state.highest_usn ?? '-'} (invocation ${state.invocation_id ?? '-'}), last full ${state.last_full_at?.toISOString() ?? 'never'}`);
  } else {
    lines.push('bookmark: none (the next sync is a full one)');
  }
  if (runs.length === 0) {
    lines.push('runs: none yet');
    return lines;
  }
  lines.push('recent runs:');
  for (const r of runs) {
    const counts = Object.entries(r.counts).map(([k, v]) => `${k}=${v}`).join(' ');
    lines.push(`  ${r.started_at.toISOString()} ${r.outcome} ${r.mode} (${r.trigger}) ${r.duration_ms} ms ${counts}`);
    if (r.error) lines.push(`    ${r.error_code}: ${r.error}`);
  }
  const last = runs[0]!;
  if (last.outcome === 'blocked' && last.diff) {
    lines.push('pending changes (held back; apply with `uurwerk ldap:sync --confirm-mass-change`):');
    for (const l of formatDiff(last.diff)) lines.push(`  ${l}`);
  }
  return lines;
}
