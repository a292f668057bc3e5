import { sign } from 'node:crypto';
import type { Knex } from '../platform/db.js';
import type { Keyring } from '../keys/types.js';
import type { Logger } from '../platform/logger.js';
import { checkpointMessage, GENESIS_HASH, sha256Hex, type CheckpointRow } from './canonical.js';
import { lastCheckpoint, headAndClock, insertCheckpoint, lockCheckpoints } from './repository.js';
import { checkChainByCopy } from './verify-stream.js';

/** Raised when the events since the last checkpoint do not verify: signing them would bless the damage. */
export class AuditIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditIntegrityError';
  }
}

/**
 * Signs a checkpoint over the events appended since the previous one; returns null
 * when there are none. Before signing it re-verifies exactly those events against
 * the previous checkpoint's head, so a checkpoint never vouches for a tampered
 * segment. Only committed events are covered: appends commit in seq order (they
 * hold the append lock until commit), so the head read here has no holes below it.
 */
export async function createCheckpoint(db: Knex, keyring: Pick<Keyring, 'auditSigningKey'>): Promise<CheckpointRow | null> {
  return db.transaction(async (trx) => {
    await lockCheckpoints(trx);
    const prev = await lastCheckpoint(trx);
    const head = await headAndClock(trx);
    const prevLast = prev?.last_seq ?? 0;
    if (head.seq < prevLast) {
      throw new AuditIntegrityError(`audit log ends at seq ${head.seq} but checkpoint #${prev!.number} covers up to seq ${prevLast}: events were deleted`);
    }
    if (head.seq === prevLast) return null;

    const verifier = await checkChainByCopy(trx, prevLast + 1, head.seq, prev?.head_hash ?? GENESIS_HASH, new Set());
    const problems = verifier.problems;
    if (problems.length) throw new AuditIntegrityError(`refusing to sign checkpoint: ${problems.map((p) => p.message).join('; ')}`);
    if (verifier.last !== head.seq) throw new AuditIntegrityError(`refusing to sign checkpoint: expected events up to seq ${head.seq}, read up to ${verifier.last}`);

    const key = keyring.auditSigningKey();
    const body = {
      number: (prev?.number ?? 0) + 1,
      at: head.now.toISOString(),
      first_seq: prevLast + 1,
      last_seq: head.seq,
      head_hash: head.hash!,
      prev_checkpoint_hash: prev?.hash ?? GENESIS_HASH,
      key_id: key.keyId,
    };
    const message = checkpointMessage(body);
    const cp: CheckpointRow = { ...body, signature: sign(null, Buffer.from(message, 'utf8'), key.privateKey).toString('base64'), hash: sha256Hex(message) };
    await insertCheckpoint(trx, cp);
    return cp;
  });
}

/** Makes a checkpoint and logs the outcome; never throws (used by the hourly job and at shutdown). */
export async function checkpointAndLog(db: Knex, keyring: Pick<Keyring, 'auditSigningKey'>, logger: Logger, reason: string): Promise<CheckpointRow | null> {
  const log = logger.child({ module: 'audit' });
  try {
    const cp = await createCheckpoint(db, keyring);
    if (cp) log.info({ checkpoint: cp.number, firstSeq: cp.first_seq, lastSeq: cp.last_seq, reason }, 'audit checkpoint signed');
    else log.debug({ reason }, 'audit checkpoint skipped: nothing new');
    return cp;
  } catch (err) {
    log.error({ err, reason }, 'audit checkpoint failed');
    return null;
  }
}

/**
 * The checkpoints that anchor events first..last: every checkpoint whose range meets
 * it, up to and including the first that reaches past `last` (its signed head vouches
 * for the period's last event). In number order.
 */
export async function checkpointsAnchoring(db: Knex | Knex.Transaction, first: number, last: number): Promise<CheckpointRow[]> {
  const rows = (await db.withSchema('audit').table('checkpoints').where('last_seq', '>=', first).orderBy('number')) as Array<Record<string, unknown>>;
  const out: CheckpointRow[] = [];
  for (const r of rows) {
    const cp: CheckpointRow = {
      number: Number(r.number), at: (r.at as Date).toISOString(), first_seq: Number(r.first_seq), last_seq: Number(r.last_seq),
      head_hash: r.head_hash as string, prev_checkpoint_hash: r.prev_checkpoint_hash as string, key_id: r.key_id as string, signature: r.signature as string, hash: r.hash as string,
    };
    out.push(cp);
    if (cp.last_seq >= last) break;
  }
  return out;
}
