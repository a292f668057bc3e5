import { createHash } from 'node:crypto';
import { DirectorySyncError } from './errors.js';

/**
 * Nested group membership resolved from what Uurwerk holds: every group's direct
 * members (as hashed DNs), kept in `directory_groups` and refreshed from the groups whose
 * uSNChanged moved. Resolving walks the member lists from each configured group
 * down, so nesting of any depth — loops included (A in B in A) — costs one pass over
 * the stored rows instead of one whole-base LDAP_MATCHING_RULE_IN_CHAIN search per
 * configured group on every run.
 */

/** A group as read from the directory: objectGUID, DN, direct members' DNs (users and groups alike). */
export interface DirectoryGroup {
  guid: string;
  dn: string;
  members: string[];
}

/** A group as stored and resolved: its members as dnKey values, never as names. */
export interface KeyedGroup {
  guid: string;
  dn: string;
  /** dnKey of each direct member's DN. */
  members: string[];
}

/** A group read from the directory in its stored form. */
export function keyed(g: DirectoryGroup): KeyedGroup {
  return { guid: g.guid, dn: g.dn, members: g.members.map(dnKey) };
}

/**
 * A DN as a comparison key: SHA-256 of the DN in lower case without blanks around the
 * commas (AD compares DNs case-insensitively). Hashed because a user's DN carries
 * their name, and stored member lists need only equality, not the names.
 */
export function dnKey(dn: string): string {
  return createHash('sha256').update(dn.toLowerCase().replace(/\s*,\s*/g, ',').trim(), 'utf8').digest('base64url');
}

/** The groups after an incremental run's changes, and which stored rows must be written. */
export interface MergedGroups {
  groups: Map<string, KeyedGroup>;
  /** Groups whose row changed (read from the directory, or a member DN rewritten after a rename). */
  changed: Set<string>;
  /** Groups deleted in the directory. */
  removed: Set<string>;
}

/**
 * Applies what an incremental run read to the stored groups: changed groups replace
 * their rows, deleted ones go, and a renamed or moved object (user or group, same
 * GUID, new DN) has its old DN replaced by the new one in every member list — AD
 * rewrites `member` values on a rename without touching the groups' uSNChanged.
 */
export function mergeGroups(
  stored: KeyedGroup[],
  read: DirectoryGroup[],
  deletedGuids: ReadonlySet<string>,
  renamedUsers: ReadonlyArray<{ from: string; to: string }>,
): MergedGroups {
  const groups = new Map(stored.map((g) => [g.guid, { ...g, members: [...g.members] }]));
  const changed = new Set<string>();
  const removed = new Set<string>();
  const renames = new Map<string, string>();
  for (const r of renamedUsers) if (dnKey(r.from) !== dnKey(r.to)) renames.set(dnKey(r.from), dnKey(r.to));
  for (const g of read) {
    const before = groups.get(g.guid);
    if (before && dnKey(before.dn) !== dnKey(g.dn)) renames.set(dnKey(before.dn), dnKey(g.dn));
    groups.set(g.guid, keyed(g));
    changed.add(g.guid);
  }
  for (const guid of deletedGuids) {
    if (groups.delete(guid)) removed.add(guid);
    changed.delete(guid);
  }
  if (renames.size > 0) {
    for (const g of groups.values()) {
      if (!g.members.some((m) => renames.has(m))) continue;
      g.members = g.members.map((m) => renames.get(m) ?? m);
      changed.add(g.guid);
    }
  }
  return { groups, changed, removed };
}

/**
 * The members of each configured group, nested membership counted: the stable ids of
 * the users (looked up by DN) reachable through member lists. A configured group the
 * directory does not hold is an error, never "nobody is a member" (that would strip
 * every admin of their role).
 */
export function resolveMembers(
  groups: Iterable<KeyedGroup>,
  configured: string[],
  userIdByDn: ReadonlyMap<string, string>,
  serverUrl: string,
): Map<string, Set<string>> {
  const byDn = new Map<string, KeyedGroup>();
  for (const g of groups) byDn.set(dnKey(g.dn), g);
  const result = new Map<string, Set<string>>();
  for (const configuredDn of configured) {
    const root = byDn.get(dnKey(configuredDn));
    if (!root) throw new DirectorySyncError('group_missing', `${serverUrl}: configured group not found: ${configuredDn}`);
    const ids = new Set<string>();
    const visited = new Set<string>([root.guid]);
    const queue = [root];
    while (queue.length > 0) {
      const g = queue.pop()!;
      for (const key of g.members) {
        const nested = byDn.get(key);
        if (nested) {
          if (!visited.has(nested.guid)) {
            visited.add(nested.guid);
            queue.push(nested);
          }
          continue;
        }
        const id = userIdByDn.get(key);
        if (id) ids.add(id);
      }
    }
    result.set(configuredDn, ids);
  }
  return result;
}
