import { canonicalJson, sha256Hex, type JsonValue } from '../audit/canonical.js';
import type { DirectoryConfig } from '../platform/config.js';
import type { SyncDiff } from './plan.js';

/**
 * The digest of an applied run's changes: SHA-256 over the canonical JSON of the
 * diff stored on its run record (`directory_sync_runs.diff`). The run's one audit
 * event carries it, so the hash chain vouches for every account, role and scope
 * change of the run without one event per change (a first sync of 5,000 people
 * grants 5,000 roles), and a run record edited afterwards no longer matches.
 */
export function syncDigest(diff: SyncDiff): string {
  // Through JSON first: exactly what the run record stores (jsonb), so the two compare.
  return sha256Hex(canonicalJson(JSON.parse(JSON.stringify(diff)) as JsonValue));
}

/** True when a stored run's diff still matches the digest its audit event recorded. */
export function runMatchesDigest(run: { diff: SyncDiff | null }, recordedDigest: unknown): boolean {
  return run.diff !== null && typeof recordedDigest === 'string' && syncDigest(run.diff) === recordedDigest;
}

/**
 * Digest of the settings that decide which users and groups a sync reads and what
 * they mean (base DNs, filter, attributes, role mapping). Stored with the bookmark: a
 * changed mapping makes the next run a full one instead of an incremental run that
 * would only look at what changed in the directory.
 */
export function configDigest(config: DirectoryConfig): string {
  const { base_dns, user_filter, id_attribute, attributes, roles } = config;
  return sha256Hex(canonicalJson(JSON.parse(JSON.stringify({ base_dns, user_filter, id_attribute, attributes, roles })) as JsonValue));
}
