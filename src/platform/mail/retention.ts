import type { Knex } from '../db.js';
import type { RetentionHandler, RetentionHolds } from '../retention.js';
import { countRows, deleteBatch, holdsApply, whereNotHeld, type HoldColumns } from '../retention-sql.js';

/** The outbox's finished messages are dated by when they were sent or given up. */
const FINISHED_AT = 'coalesce(sent_at, created_at)';
const COLUMNS: HoldColumns = { date: 'created_at' };

function finishedBefore(db: Knex, cutoff: Date): Knex.QueryBuilder {
  return db('mail_outbox').whereNot('status', 'pending').andWhere(db.raw(FINISHED_AT), '<', cutoff);
}

function due(db: Knex, cutoff: Date, holds: RetentionHolds): Knex.QueryBuilder {
  return whereNotHeld(finishedBefore(db, cutoff), holds, COLUMNS);
}

/**
 * `mail_outbox`: delivered or abandoned mails (their bodies were already emptied at
 * the end of delivery) deleted once `retention.mail_outbox` has passed since then.
 * Pending mail is never touched. Replaces `mail.sent_retention_days`.
 */
export function mailOutboxRetention(): RetentionHandler {
  return {
    category: 'mail_outbox',
    async oldest(db) {
      const row = (await db('mail_outbox').whereNot('status', 'pending').min({ at: db.raw(FINISHED_AT) }).first()) as { at: Date | null } | undefined;
      return row?.at ?? null;
    },
    async plan(db, scope) {
      const all = await countRows(finishedBefore(db, scope.cutoff));
      const free = holdsApply(scope.holds, COLUMNS) ? await countRows(due(db, scope.cutoff, scope.holds)) : all;
      return { due: { mails: free }, held: { mails: all - free } };
    },
    async purgeBatch(db, scope) {
      const n = await deleteBatch(db, 'mail_outbox', (q) => whereNotHeld(q.whereNot('status', 'pending').andWhere(db.raw(FINISHED_AT), '<', scope.cutoff), scope.holds, COLUMNS), scope.batchSize);
      return { removed: { mails: n }, done: n < scope.batchSize };
    },
  };
}
