import { createAuditLog, keyEventHook } from '../../src/audit/service.js';
import { createKeyService } from '../../src/keys/service.js';
import { useTestDatabase } from '../helpers/db.js';
import { testLogger } from '../helpers/log.js';
import { freshKeyring } from '../keys/helpers.js';
import type { Knex } from '../../src/platform/db.js';
import type { AuditLog, RecordedEvent } from '../../src/audit/service.js';
import { AUDIT_ACTIONS } from '../../src/audit/actions.js';
import { randomUUID } from 'node:crypto';
import { eventHash, GENESIS_HASH, type AuditEventRow } from '../../src/audit/canonical.js';
import { headAndClock, insertEvents } from '../../src/audit/repository.js';

/** A recorded event as a chain pass placed it. */
export type ChainedEvent = RecordedEvent & { seq: number; at: string; hash: string };

/** Where staged events landed in the chain (after `audit.flush()`), in the order given. */
export async function chained(db: Knex, recorded: readonly RecordedEvent[]): Promise<ChainedEvent[]> {
  const rows = (await db('audit.events').whereIn('id', recorded.map((r) => r.id)).select('id', 'seq', 'at', 'hash')) as Array<{ id: string; seq: string; at: Date; hash: string }>;
  const byId = new Map(rows.map((r) => [r.id, { id: r.id, seq: Number(r.seq), at: r.at.toISOString(), hash: r.hash }]));
  return recorded.map((r) => {
    const c = byId.get(r.id);
    if (!c) throw new Error(`event ${r.id} is not chained`);
    return c;
  });
}

/** Appends `n` events, one transaction each, alternating subjects; some carry personal details; chained before it returns. */
export async function appendEvents(db: Knex, audit: AuditLog, n: number, subjects = ['emp-1', 'emp-2']): Promise<ChainedEvent[]> {
  const out: RecordedEvent[] = [];
  for (let i = 0; i < n; i++) {
    const subject = subjects[i % subjects.length]!;
    out.push(
      await db.transaction((trx) =>
        audit.record(trx, {
          action: i % 2 ? AUDIT_ACTIONS.loginFailed : AUDIT_ACTIONS.personalDataRead,
          actorId: 'acct-manager',
          subjectId: subject,
          object: { type: 'week', id: `2026-W${String(i + 1).padStart(2, '0')}` },
          payload: { i, reason: 'test', nested: { z: 1, a: [true, null, 0.5] } },
          personal: i % 3 === 0 ? { ip: '192.0.2.7', typedUsername: `user-${i}` } : null,
        }),
      ),
    );
  }
  await audit.flush();
  return chained(db, out);
}

/**
 * Plays an attacker with superuser rights: switches the append-only triggers off,
 * runs `sql`, switches them back on (ENABLE ALWAYS, as the migration left them).
 */
export async function tamper(db: Knex, sql: string, bindings: readonly Knex.RawBinding[] = []): Promise<void> {
  await db.transaction(async (trx) => {
    await trx.raw('ALTER TABLE audit.events DISABLE TRIGGER USER');
    await trx.raw('ALTER TABLE audit.checkpoints DISABLE TRIGGER USER');
    await trx.raw(sql, bindings);
    for (const t of ['events_append', 'events_no_update_delete', 'events_no_truncate', 'events_age_bound']) await trx.raw(`ALTER TABLE audit.events ENABLE ALWAYS TRIGGER ${t}`);
    for (const t of ['checkpoints_append', 'checkpoints_no_update_delete', 'checkpoints_no_truncate']) await trx.raw(`ALTER TABLE audit.checkpoints ENABLE ALWAYS TRIGGER ${t}`);
  });
}

/** A test database with the real keyring (fresh data dir), key service and audit log, wired as the appliance wires them. */
export async function auditSetup(t: Parameters<typeof useTestDatabase>[0]) {
  const db = await useTestDatabase(t);
  const { keyring } = await freshKeyring(t, db.knex);
  const holder: { audit?: AuditLog } = {};
  const keys = createKeyService(keyring, testLogger(t.title), { onKeyEvent: (trx, e) => keyEventHook(holder.audit!)(trx, e) });
  const audit = (holder.audit = createAuditLog(keys, db.knex));
  const own = keyring.auditSigningKey();
  const trusted = [{ keyId: own.keyId, publicKey: own.publicKey }];
  return { db, knex: db.knex, keys, keyring, audit, trusted };
}

/**
 * Appends `n` events written at `at` (a past year): the same chain the service
 * builds (seq, prev_hash, hash; the append trigger checks them), only with the time
 * a log kept for years would carry. Subjects cycle through `subjects`.
 */
export async function appendEventsAt(db: Knex, at: Date, n: number, subjects = ['emp-1', 'emp-2']): Promise<number[]> {
  return db.transaction(async (trx) => {
    const head = await headAndClock(trx);
    let prev = head.hash ?? GENESIS_HASH;
    const rows: AuditEventRow[] = [];
    for (let i = 0; i < n; i++) {
      const row: Omit<AuditEventRow, 'hash'> = {
        seq: head.seq + 1 + i, id: randomUUID(), at: new Date(at.getTime() + i * 1000).toISOString(), actor_id: 'acct-manager',
        subject_id: subjects[i % subjects.length]!, action: AUDIT_ACTIONS.personalDataRead, object_type: null, object_id: null,
        payload: { i }, personal: null, prev_hash: prev,
      };
      prev = eventHash(row);
      rows.push({ ...row, hash: prev });
    }
    await insertEvents(trx, rows);
    return rows.map((r) => r.seq);
  });
}
