import { randomBytes } from 'node:crypto';
import type { Knex } from '../../src/platform/db.js';
import { parseConfig, type DirectoryConfig } from '../../src/platform/config.js';
import type { AuditRecorder } from '../../src/directory/service.js';

/** One event the stand-in recorder kept. */
export interface RecordedAuditEvent {
  action: string;
  actorId: string;
  subjectId?: string | null;
  object?: { type: string; id: string } | null;
  payload?: Record<string, unknown>;
}

/**
 * STAND-IN for the real audit log (src/audit), which the lead wires in: keeps events
 * in an array so tests can assert what the sync would have recorded. It still needs
 * the transaction, so a rolled-back sync is visible as "recorded but not committed"
 * only if a test checks the database too.
 */
export function arrayAuditRecorderStandIn(): AuditRecorder & { events: RecordedAuditEvent[] } {
  const events: RecordedAuditEvent[] = [];
  return {
    events,
    async record(_trx, event) {
      events.push(event);
      return event;
    },
    async recordMany(_trx, batch) {
      events.push(...batch);
      return batch;
    },
  };
}

/** The `directory` config section from a raw object, validated like the YAML file. */
export function directoryConfig(raw: Record<string, unknown>): DirectoryConfig {
  return parseConfig({ directory: raw }, 'test').directory;
}

/** Inserts a live session for an account (the sign-in code that creates them comes later). */
export async function insertSession(db: Knex, accountId: string): Promise<string> {
  const [row] = await db('sessions')
    .insert({
      token_hash: randomBytes(32),
      account_id: accountId,
      idle_expires_at: db.raw("now() + interval '30 minutes'"),
      absolute_expires_at: db.raw("now() + interval '12 hours'"),
      second_factor_at: db.fn.now(),
    })
    .returning('id');
  return (row as { id: string }).id;
}

/** Live (not revoked) session count of an account. */
export async function liveSessions(db: Knex, accountId: string): Promise<number> {
  const r = await db('sessions').where({ account_id: accountId }).whereNull('revoked_at').count<{ n: string }[]>({ n: '*' });
  return Number(r[0]?.n ?? 0);
}

/** Account row by directory username (source directory). */
export async function accountByUsername(db: Knex, username: string): Promise<Record<string, unknown> & { id: string; status: string }> {
  const row = await db('accounts').where({ source: 'directory' }).whereRaw('lower(username) = lower(?)', [username]).first();
  if (!row) throw new Error(`no directory account ${username}`);
  return row as Record<string, unknown> & { id: string; status: string };
}

/** Roles of an account as `role[:team] <- reason` strings, sorted. */
export async function roleLines(db: Knex, accountId: string): Promise<string[]> {
  const rows = await db('role_assignments').where({ account_id: accountId }) as Array<{ role: string; team: string; reason: string }>;
  return rows.map((r) => `${r.role}${r.team ? ':' + r.team : ''} <- ${r.reason}`).sort();
}
