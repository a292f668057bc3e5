import { verify as verifySignature, type KeyObject } from 'node:crypto';
import { checkpointMessage, GENESIS_HASH, sha256Hex, type CheckpointRow } from '../audit/canonical.js';
import type { VerifyReport } from '../audit/verify.js';
import type { Knex } from '../platform/db.js';
import type { CheckpointView, VerificationView, VerifyRunView } from './schema.js';

/**
 * The verification state an auditor sees: the outcome of the last `audit:verify`
 * (stored by the command at each run, since a full verification of millions of events
 * is not something a page read should start), and the signed checkpoint chain, each
 * checkpoint checked now — signature, link to its predecessor, own hash, and whether
 * the event it ends at still carries the hash it signed. Checkpoints are paged
 * (newest first), so the page costs the same with 60,000 of them.
 */

/** Checkpoints per page. */
export const CHECKPOINT_PAGE = 50;

/** Stores the outcome of one verification run: counts, problem kinds and the first broken place, never the messages. */
export async function recordVerifyRun(db: Knex, source: 'cli' | 'job', r: Pick<VerifyReport, 'ok' | 'from' | 'to' | 'eventsChecked' | 'checkpointsChecked' | 'problems'>): Promise<void> {
  const seqs = r.problems.flatMap((p) => (p.seq === undefined ? [] : [p.seq]));
  const cps = r.problems.flatMap((p) => (p.checkpoint === undefined ? [] : [p.checkpoint]));
  await db('compliance_verify_runs').insert({
    source, ok: r.problems.length === 0, from_seq: r.from, to_seq: r.to, events_checked: r.eventsChecked, checkpoints_checked: r.checkpointsChecked,
    first_broken_seq: seqs.length ? Math.min(...seqs) : null, first_broken_checkpoint: cps.length ? Math.min(...cps) : null,
    problems: r.problems.length, kinds: [...new Set(r.problems.map((p) => p.kind))].sort(),
  });
}

interface VerifyRunRow {
  at: Date;
  source: 'cli' | 'job';
  ok: boolean;
  from_seq: string;
  to_seq: string;
  events_checked: string;
  checkpoints_checked: string;
  first_broken_seq: string | null;
  first_broken_checkpoint: string | null;
  problems: number;
  kinds: string[];
}

const num = (v: string | null): number | null => (v === null ? null : Number(v));

/** The newest stored verification run, or null when none was ever stored. */
export async function lastVerifyRun(db: Knex): Promise<VerifyRunView | null> {
  const r = (await db('compliance_verify_runs').orderBy('at', 'desc').orderBy('id', 'desc').first()) as VerifyRunRow | undefined;
  if (!r) return null;
  return {
    at: new Date(r.at).toISOString(), source: r.source, ok: r.ok, from_seq: Number(r.from_seq), to_seq: Number(r.to_seq),
    events_checked: Number(r.events_checked), checkpoints_checked: Number(r.checkpoints_checked),
    first_broken_seq: num(r.first_broken_seq), first_broken_checkpoint: num(r.first_broken_checkpoint), problems: r.problems, kinds: r.kinds,
  };
}

interface RawCheckpoint extends Omit<CheckpointRow, 'number' | 'first_seq' | 'last_seq' | 'at'> {
  number: string;
  first_seq: string;
  last_seq: string;
  at: Date;
}

const toCheckpoint = (r: RawCheckpoint): CheckpointRow => ({ ...r, number: Number(r.number), first_seq: Number(r.first_seq), last_seq: Number(r.last_seq), at: r.at.toISOString() });

/** The checks on one checkpoint, given the one before it (undefined for checkpoint 1, or when it is missing). */
function checkOne(cp: CheckpointRow, prev: CheckpointRow | undefined, key: { keyId: string; publicKey: KeyObject }, headHash: string | undefined): CheckpointView {
  const message = checkpointMessage(cp);
  let signature: CheckpointView['signature'] = 'unknown_key';
  if (cp.key_id === key.keyId) signature = verifySignature(null, Buffer.from(message, 'utf8'), key.publicKey, Buffer.from(cp.signature, 'base64')) ? 'ok' : 'bad';
  const linked = cp.number === 1
    ? cp.prev_checkpoint_hash === GENESIS_HASH && cp.first_seq === 1
    : prev !== undefined && prev.number === cp.number - 1 && cp.prev_checkpoint_hash === prev.hash && cp.first_seq === prev.last_seq + 1;
  return {
    number: cp.number, at: cp.at, first_seq: cp.first_seq, last_seq: cp.last_seq, key_id: cp.key_id, signature, linked,
    intact: sha256Hex(message) === cp.hash, head_matches: headHash === undefined ? null : headHash === cp.head_hash,
  };
}

/** The verification state: the last stored run and one page of the checkpoint chain (newest first), each checked now. */
export async function verificationState(db: Knex, key: { keyId: string; publicKey: KeyObject }, page: { before?: number } = {}): Promise<VerificationView> {
  return db.transaction(async (trx) => {
    const q = trx('audit.checkpoints').orderBy('number', 'desc').limit(CHECKPOINT_PAGE + 1);
    // One more than the page: the oldest one's predecessor (for the link check), and whether a next page exists.
    if (page.before !== undefined) void q.where('number', '<', page.before);
    const rows = ((await q) as RawCheckpoint[]).map(toCheckpoint);
    const shown = rows.slice(0, CHECKPOINT_PAGE);
    const heads = (await trx('audit.events').whereIn('seq', shown.map((c) => c.last_seq)).select('seq', 'hash')) as Array<{ seq: string; hash: string }>;
    const headAt = new Map(heads.map((h) => [Number(h.seq), h.hash]));
    const checkpoints = shown.map((cp, i) => checkOne(cp, rows[i + 1], key, headAt.get(cp.last_seq)));
    const total = (await trx('audit.checkpoints').count<Array<{ n: string }>>({ n: '*' }))[0]!;
    const last = (await trx('audit.events').max<Array<{ m: string | null }>>({ m: 'seq' }))[0]!;
    return {
      last_verify: await lastVerifyRun(trx),
      last_seq: Number(last.m ?? 0),
      checkpoints_total: Number(total.n),
      checkpoints,
      breaks: checkpoints.filter((c) => c.signature !== 'ok' || !c.linked || !c.intact || c.head_matches === false).map((c) => c.number),
      next_before: rows.length > CHECKPOINT_PAGE ? shown[shown.length - 1]!.number : null,
    };
  }, { isolationLevel: 'repeatable read', readOnly: true });
}
