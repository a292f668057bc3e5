import { createPublicKey, verify as verifySignature, createHash, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Knex } from '../platform/db.js';
import { checkpointMessage, GENESIS_HASH, sha256Hex, type AuditEventRow, type CheckpointRow } from './canonical.js';
import { agedAnchors, allCheckpoints, eventBySeq, maxSeq, minSeq } from './repository.js';
import { ChainVerifier } from './chain.js';
import { checkChainByCopy } from './verify-stream.js';

/** What can be wrong with the log. */
export type ProblemKind =
  | 'edited' // a row's content no longer matches its own hash
  | 'reordered' // a row sits at another seq than the one it was written with
  | 'gap' // seq numbers missing in the middle
  | 'broken-link' // a row's prev_hash is not its predecessor's hash (edited and re-hashed, or inserted)
  | 'tail-deleted' // a checkpoint covers events that are no longer there
  | 'checkpoint-head' // a checkpoint's head hash differs from the row it covers
  | 'checkpoint-chain' // checkpoints missing, altered or not following each other
  | 'checkpoint-signature' // a signature does not verify
  | 'checkpoint-key' // a checkpoint names a key nobody trusted
  | 'malformed' // an export file line that cannot be read
  | 'content-changed'; // a record's content no longer matches the digest an event took of it (checked by its domain)

/** One finding, with the event seq or checkpoint number it concerns. */
export interface VerifyProblem {
  kind: ProblemKind;
  seq?: number;
  checkpoint?: number;
  message: string;
}

/** A public key the verifier trusts; without `keyId` it is tried for every checkpoint. */
export interface TrustedKey {
  keyId?: string;
  publicKey: KeyObject;
}

/** The outcome of a verification run. */
export interface VerifyReport {
  ok: boolean;
  from: number;
  to: number;
  eventsChecked: number;
  checkpointsChecked: number;
  /** Highest seq present in the log (0 when empty). */
  lastSeq: number;
  /** Highest seq covered by a signed checkpoint (0 when none). */
  lastCheckpointedSeq: number;
  /** Set when the log was aged: the checkpoint it is proved from and the first seq left. */
  anchor?: { checkpoint: number; firstSeq: number };
  problems: VerifyProblem[];
}

/** How an aged log starts: the anchor checkpoint to chain from, and what is wrong with it. */
interface AnchorCheck {
  /** The seq the chain check starts at: `first`, or 1 when no checkpoint anchors the missing start (a gap). */
  from: number;
  hash: string;
  anchor?: { checkpoint: number; firstSeq: number };
  problems: VerifyProblem[];
}

/**
 * A log that starts after seq 1 was aged: the missing events must end exactly where a
 * signed checkpoint ends (its head hash is what the first event left chains to), and
 * an `audit.aged` event must record ageing up to that checkpoint (`aged` holds
 * "number:last_seq" of each). Otherwise the start was deleted: the chain check runs
 * from seq 1 and names the gap.
 */
export function checkAnchor(first: number, cps: readonly CheckpointRow[], aged: ReadonlySet<string>): AnchorCheck {
  if (first <= 1) return { from: 1, hash: GENESIS_HASH, problems: [] };
  const cp = cps.find((c) => c.last_seq === first - 1);
  if (!cp) return { from: 1, hash: GENESIS_HASH, problems: [] };
  const anchor = { checkpoint: cp.number, firstSeq: first };
  if (aged.has(`${cp.number}:${cp.last_seq}`)) return { from: first, hash: cp.head_hash, anchor, problems: [] };
  return {
    from: first,
    hash: cp.head_hash,
    anchor,
    problems: [{ kind: 'gap', seq: 1, checkpoint: cp.number, message: `gap: seq 1 to ${first - 1} are missing; checkpoint #${cp.number} ends there, but no audit.aged event records ageing up to it (rows deleted)` }],
  };
}

/** sha256 of a public key's SPKI DER, hex: what an auditor compares out of band. */
export function publicKeyFingerprint(key: KeyObject): string {
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
}

export { ChainVerifier };

/** The action ageing records (AUDIT_ACTIONS.auditAged), read back by verification. */
const AGED_ACTION = 'audit.aged';

function findKey(keys: readonly TrustedKey[], cp: CheckpointRow, message: Buffer, signature: Buffer): 'ok' | 'bad' | 'unknown' {
  const byId = keys.filter((k) => k.keyId === cp.key_id);
  const candidates = byId.length ? byId : keys.filter((k) => k.keyId === undefined);
  if (!candidates.length) return 'unknown';
  return candidates.some((k) => verifySignature(null, message, k.publicKey, signature)) ? 'ok' : 'bad';
}

/**
 * Checks the checkpoint chain (numbering, links, ranges, hashes, signatures) and,
 * for checkpoints ending inside [from, to], that the head hash they signed is the
 * stored hash of that row. `lastSeq` is the log's highest seq, for the tail check.
 */
export function verifyCheckpoints(
  checkpoints: readonly CheckpointRow[],
  keys: readonly TrustedKey[],
  headAt: ReadonlyMap<number, string>,
  range: { from: number; to: number },
  lastSeq: number,
): VerifyProblem[] {
  const problems: VerifyProblem[] = [];
  let prev: CheckpointRow | undefined;
  checkpoints.forEach((cp, i) => {
    const n = cp.number;
    if (n !== i + 1) problems.push({ kind: 'checkpoint-chain', checkpoint: n, message: `checkpoint #${n} found where #${i + 1} was expected (checkpoints deleted)` });
    if (cp.prev_checkpoint_hash !== (prev?.hash ?? GENESIS_HASH)) {
      problems.push({ kind: 'checkpoint-chain', checkpoint: n, message: `checkpoint #${n} does not point to checkpoint #${prev?.number ?? 0}` });
    }
    if (cp.first_seq !== (prev?.last_seq ?? 0) + 1) {
      problems.push({ kind: 'checkpoint-chain', checkpoint: n, message: `checkpoint #${n} starts at seq ${cp.first_seq}, not right after seq ${prev?.last_seq ?? 0}` });
    }
    const message = checkpointMessage(cp);
    if (sha256Hex(message) !== cp.hash) problems.push({ kind: 'checkpoint-chain', checkpoint: n, message: `checkpoint #${n}: content does not match its hash (altered)` });
    let sig: Buffer;
    try {
      sig = Buffer.from(cp.signature, 'base64');
    } catch {
      sig = Buffer.alloc(0);
    }
    const verdict = findKey(keys, cp, Buffer.from(message, 'utf8'), sig);
    if (verdict === 'unknown') problems.push({ kind: 'checkpoint-key', checkpoint: n, message: `checkpoint #${n} is signed with key ${cp.key_id}, which is not among the trusted keys` });
    if (verdict === 'bad') problems.push({ kind: 'checkpoint-signature', checkpoint: n, message: `checkpoint #${n}: Ed25519 signature does not verify` });
    if (cp.last_seq >= range.from && cp.last_seq <= range.to && cp.last_seq <= lastSeq) {
      const h = headAt.get(cp.last_seq);
      if (h !== undefined && h !== cp.head_hash) {
        problems.push({ kind: 'checkpoint-head', seq: cp.last_seq, checkpoint: n, message: `seq ${cp.last_seq} is not the row checkpoint #${n} signed (edited and re-hashed, or replaced)` });
      }
    }
    prev = cp;
  });
  if (prev && prev.last_seq > lastSeq) {
    problems.push({
      kind: 'tail-deleted',
      seq: lastSeq + 1,
      checkpoint: prev.number,
      message: `checkpoint #${prev.number} covers up to seq ${prev.last_seq} but the log ends at seq ${lastSeq}: seq ${lastSeq + 1} to ${prev.last_seq} were deleted`,
    });
  }
  return problems;
}

function report(range: { from: number; to: number }, v: { checked: number }, cps: readonly CheckpointRow[], problems: VerifyProblem[], lastSeq: number, anchor?: AnchorCheck['anchor']): VerifyReport {
  return {
    ...(anchor ? { anchor } : {}),
    ok: problems.length === 0,
    from: range.from,
    to: range.to,
    eventsChecked: v.checked,
    checkpointsChecked: cps.length,
    lastSeq,
    lastCheckpointedSeq: cps.at(-1)?.last_seq ?? 0,
    problems,
  };
}

/**
 * Verifies the log in the database: events `from..to` (default: all) and every
 * checkpoint. Runs in one REPEATABLE READ snapshot so appends during the run do not
 * look like damage. The events come as one COPY of lines PostgreSQL builds
 * (verify-stream.ts); the export file is still read through `ChainVerifier`.
 */
export async function verifyDatabase(db: Knex, opts: { from?: number; to?: number; keys: readonly TrustedKey[] }): Promise<VerifyReport> {
  return db.transaction(
    async (trx) => {
      const last = await maxSeq(trx);
      const cps = await allCheckpoints(trx);
      const start = checkAnchor(await minSeq(trx), cps, await agedAnchors(trx));
      const from = Math.max(start.from, opts.from ?? 1);
      const to = opts.to ?? Math.max(last, cps.at(-1)?.last_seq ?? 0);
      const pre: VerifyProblem[] = [];
      let anchor: string | null = start.hash;
      if (from === start.from) pre.push(...start.problems);
      else {
        const before = await eventBySeq(trx, from - 1);
        anchor = before?.hash ?? null;
        if (!before && from - 1 <= last) pre.push({ kind: 'gap', seq: from - 1, message: `gap: seq ${from - 1} (just before --from) is missing` });
      }
      const v = await checkChainByCopy(trx, from, to, anchor, new Set(cps.map((c) => c.last_seq)));
      const problems = [...pre, ...v.problems, ...verifyCheckpoints(cps, opts.keys, v.headAt, { from, to }, last)];
      return report({ from, to }, v, cps, problems, last, from === start.from ? start.anchor : undefined);
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
}

/** First line of an export file. */
export interface ExportHeader {
  type: 'header';
  format: 'uurwerk.audit.export';
  version: 1;
  exported_at: string;
  last_seq: number;
  public_keys: Array<{ key_id: string; algorithm: 'Ed25519'; public_key_pem: string; fingerprint_sha256: string }>;
}

/**
 * Verifies an export file without the database (header, then checkpoints, then
 * events, one JSON object per line). Trusts `keys` when given, otherwise the public
 * keys in the header — whose fingerprints the caller should compare out of band.
 */
export async function verifyExportFile(file: string, opts: { keys?: readonly TrustedKey[] } = {}): Promise<VerifyReport & { header?: ExportHeader }> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let header: ExportHeader | undefined;
  const cps: CheckpointRow[] = [];
  const problems: VerifyProblem[] = [];
  let v: ChainVerifier | undefined;
  let start: AnchorCheck | undefined;
  const aged = new Set<string>();
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (!line.trim()) continue;
    let obj: { type?: string };
    try {
      obj = JSON.parse(line) as { type?: string };
    } catch {
      problems.push({ kind: 'malformed', message: `line ${lineNo}: not JSON` });
      continue;
    }
    if (obj.type === 'header' && lineNo === 1) header = obj as ExportHeader;
    else if (obj.type === 'checkpoint' && !v) {
      const { type: _t, ...cp } = obj as CheckpointRow & { type: string };
      cps.push(cp);
    } else if (obj.type === 'event') {
      const { type: _t, ...row } = obj as AuditEventRow & { type: string };
      // The aged records are only known at the end; the anchor (from the checkpoints) now.
      start ??= checkAnchor(row.seq, cps, new Set(cps.map((c) => `${c.number}:${c.last_seq}`)));
      v ??= new ChainVerifier(start.from, start.hash, new Set(cps.map((c) => c.last_seq)));
      if (row.action === AGED_ACTION) aged.add(`${String(row.payload.anchor_checkpoint)}:${String(row.payload.last_seq)}`);
      v.push(row);
    } else problems.push({ kind: 'malformed', message: `line ${lineNo}: unexpected ${String(obj.type)} line (order is header, checkpoints, events)` });
  }
  if (!header || header.format !== 'uurwerk.audit.export') problems.unshift({ kind: 'malformed', message: 'line 1 is not an uurwerk audit export header' });
  v ??= new ChainVerifier(1, GENESIS_HASH, new Set(cps.map((c) => c.last_seq)));
  const keys = opts.keys ?? (header?.public_keys ?? []).map((k) => ({ keyId: k.key_id, publicKey: createPublicKey(k.public_key_pem) }));
  const last = v.last;
  const to = Math.max(last, cps.at(-1)?.last_seq ?? 0);
  if (start?.anchor) start = checkAnchor(start.anchor.firstSeq, cps, aged);
  problems.push(...(start?.problems ?? []), ...v.finish(), ...verifyCheckpoints(cps, keys, v.headAt, { from: start?.from ?? 1, to }, last));
  // The header is unsigned, but a file cut short after export still shows here.
  if (header && header.last_seq > last && !problems.some((p) => p.kind === 'tail-deleted')) {
    problems.push({ kind: 'tail-deleted', seq: last + 1, message: `the export says it ends at seq ${header.last_seq} but its events end at seq ${last}` });
  }
  return { ...report({ from: start?.from ?? 1, to }, v, cps, problems, last, start?.anchor), header };
}
