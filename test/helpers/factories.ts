import { randomUUID } from 'node:crypto';
import { createLocalAccount } from '../../src/identity/auth-service.js';
import type { Role } from '../../src/identity/repository.js';
import type { AuditLog } from '../../src/audit/service.js';
import type { Knex } from '../../src/platform/db.js';

/** A password that passes the policy (long, not on the common list). */
export const GOOD_PASSWORD = 'plum-orbit-canal-47-lantern';

/** Builds a local account with the given roles; returns its id. */
export async function buildLocalAccount(db: Knex, audit: AuditLog, opts: { username?: string; password?: string; roles?: Role[]; email?: string } = {}): Promise<{ id: string; username: string; password: string }> {
  const username = opts.username ?? `user${randomUUID().slice(0, 8)}`;
  const password = opts.password ?? GOOD_PASSWORD;
  const id = await createLocalAccount({ db, audit }, { username, password, roles: opts.roles ?? ['employee'], email: opts.email }, 'test');
  return { id, username, password };
}

/** Builds a directory account row as the sync would have made it. */
export async function buildDirectoryAccount(db: Knex, opts: { username: string; roles?: Role[]; team?: string }): Promise<string> {
  const [row] = await db('accounts')
    .insert({ source: 'directory', username: opts.username, directory_id: randomUUID(), dn: `CN=${opts.username},OU=Staff,DC=corp,DC=example,DC=test`, display_name: opts.username })
    .returning('id');
  const id = (row as { id: string }).id;
  for (const role of opts.roles ?? ['employee']) {
    await db('role_assignments').insert({ account_id: id, role, team: role === 'team_admin' ? (opts.team ?? 'team-a') : '', reason: `CN=${role},OU=Groups,DC=corp,DC=example,DC=test`, source: 'directory' });
  }
  return id;
}
