import type { Knex } from '../platform/db.js';
import { allNames } from './context.js';

/**
 * Project and task names remembered for the own day and week views (issue 11): a view
 * answered from memory spends no round trip on names. Names are the organisation's
 * master data, the same for everyone who may book on them, and nothing personal.
 *
 * The memory is tagged with `master_names_version`, which every change to projects or
 * tasks raises in its own transaction (migration 20261206010000). A view reads the
 * count in its first statement (`NAMES_VERSION_COLUMN`) and passes it here: under any
 * newer count everything remembered is dropped before the lookup, so a view that began
 * after a rename committed never shows the old name. A view that read an older count
 * looks its names up and keeps nothing; names looked up while a newer count arrived
 * are not kept either.
 */

/** For a one-trip read's first statement: the current count, as `names_version`. */
export const NAMES_VERSION_COLUMN = { sql: ', (SELECT version FROM master_names_version) AS names_version', bindings: [] as const };

/** Beyond this many names the memory starts over (a bound, not an expected size). */
const MAX_NAMES = 50_000;

interface Memory {
  version: bigint | null;
  projects: Map<string, string>;
  tasks: Map<string, string>;
}

const memories = new WeakMap<object, Memory>();

/**
 * Names of the projects and tasks, from memory where the count still matches, the
 * rest in one query. `version` is the count the caller's read saw (null: unknown, so
 * nothing is remembered or trusted).
 */
export async function projectAndTaskNames(db: Knex, version: unknown, ids: { projects: string[]; tasks: string[] }): Promise<{ projects: Map<string, string>; tasks: Map<string, string> }> {
  const v = typeof version === 'string' || typeof version === 'number' ? BigInt(version) : null;
  let mem = memories.get(db);
  // A newer count starts the memory over; an older one (a read that began before the
  // last change) neither uses nor replaces it: it looks its names up and keeps nothing.
  const older = v !== null && mem?.version != null && v < mem.version;
  if (!older && (!mem || mem.version !== v || mem.projects.size + mem.tasks.size > MAX_NAMES)) {
    mem = { version: v, projects: new Map(), tasks: new Map() };
    memories.set(db, mem);
  }
  if (older || v === null) {
    const found = await allNames(db, { ...ids, accounts: [] });
    return { projects: found.projects, tasks: found.tasks };
  }
  const m = mem!;
  const missing = { projects: ids.projects.filter((id) => !m.projects.has(id)), tasks: ids.tasks.filter((id) => !m.tasks.has(id)) };
  if (missing.projects.length || missing.tasks.length) {
    const found = await allNames(db, { ...missing, accounts: [] });
    if (memories.get(db) === m) {
      // Still the memory of this count: kept (unknown ids are not: they may appear later).
      for (const [id, name] of found.projects) m.projects.set(id, name);
      for (const [id, name] of found.tasks) m.tasks.set(id, name);
    } else {
      // A newer count arrived meanwhile: these names answer this view only.
      return { projects: pick(found.projects, m.projects, ids.projects), tasks: pick(found.tasks, m.tasks, ids.tasks) };
    }
  }
  return { projects: pick(m.projects, undefined, ids.projects), tasks: pick(m.tasks, undefined, ids.tasks) };
}

/** The names of `ids` from `a`, else from `b`. */
function pick(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string> | undefined, ids: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const id of ids) {
    const name = a.get(id) ?? b?.get(id);
    if (name !== undefined) out.set(id, name);
  }
  return out;
}
