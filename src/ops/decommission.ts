import { createHash, createPublicKey, sign, verify } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AUDIT_ACTIONS } from '../audit/actions.js';
import { canonicalJson, type JsonValue } from '../audit/canonical.js';
import { createCheckpoint } from '../audit/checkpoints.js';
import { exportAuditLog } from '../audit/export.js';
import type { AuditLog } from '../audit/service.js';
import { publicKeyFingerprint } from '../audit/verify.js';
import { destroyFile, type DiskKeyring } from '../keys/keyring.js';
import type { KeyService } from '../keys/types.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { TimesheetDeps } from '../timesheets/context.js';
import { buildDayView } from '../timesheets/days.js';
import { inWall, listDays } from '../timesheets/repository.js';
import type { ArchiveContent, ArchiveJson } from './decommission-archive.js';

/**
 * End of the agreement (`uurwerk decommission`): gather what the customer must keep
 * (collectArchive), then destroy every table and the keyring, and sign a statement of
 * what was destroyed with the audit signing key before that key goes too.
 */

/** What decommissioning needs, passed explicitly. */
export interface DecommissionDeps {
  db: Knex;
  config: Readonly<Config>;
  keys: KeyService;
  keyring: DiskKeyring;
  audit: AuditLog;
}

/** Day states that were submitted at least once: the records a legal duty keeps. */
const KEPT_STATES = ['submitted', 'returned', 'approved'] as const;

async function auditExportText(db: Knex, keyring: DiskKeyring): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-decommission-'));
  try {
    const file = path.join(dir, 'audit.jsonl');
    const k = keyring.auditSigningKey();
    await exportAuditLog(db, file, [{ keyId: k.keyId, publicKey: k.publicKey }]);
    return readFileSync(file, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Everything the customer must keep: submitted, returned and approved days with their
 * entries decrypted, the people they belong to, the whole audit log (checkpoints and
 * public key included, verifiable offline), the retention settings and the holds.
 * Built in memory: the archive is one sealed document.
 */
export async function collectArchive(deps: DecommissionDeps, now: Date): Promise<ArchiveContent> {
  const refuse = (): never => {
    throw new Error('collecting the archive records nothing');
  };
  const td: TimesheetDeps = { db: deps.db, config: deps.config, keys: deps.keys, audit: { record: refuse, recordMany: refuse, append: refuse, readPersonal: refuse, flush: () => Promise.resolve() } };
  const days = await inWall(deps.db, 'bypass', async (w) => {
    const rows = await listDays(w, (q) => q, { states: [...KEPT_STATES], limit: 1_000_000_000 });
    const out: ArchiveJson[] = [];
    for (const day of rows) out.push((await buildDayView(td, w, day.owner_id, day.date, day, day.time_zone)) as unknown as ArchiveJson);
    return out;
  });
  const owners = [...new Set(days.map((d) => (d as { owner_id: string }).owner_id))];
  const people = (await deps.db('accounts').whereIn('id', owners).orderBy('id')
    .select('id', deps.db.raw('coalesce(display_name, username) AS name'), 'username')) as ArchiveContent['people'];
  const holds = (await deps.db('legal_holds').orderBy('created_at')) as Array<Record<string, ArchiveJson>>;
  return {
    format: 'uurwerk.decommission.archive',
    version: 1,
    created_at: now.toISOString(),
    organisation: deps.config.ui.organisation_name,
    retention: { ...deps.config.retention } as Record<string, ArchiveJson>,
    holds: JSON.parse(JSON.stringify(holds)) as Array<Record<string, ArchiveJson>>,
    people,
    days,
    audit_export: await auditExportText(deps.db, deps.keyring),
  };
}

/** Every table of the appliance's schemas (pg_catalog and information_schema aside), as `schema.table`. */
export async function userTables(db: Knex): Promise<string[]> {
  const { rows } = await db.raw<{ rows: Array<{ name: string }> }>(
    `SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS name FROM pg_tables
     WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND schemaname NOT LIKE 'pg\\_%' ORDER BY 1`,
  );
  return rows.map((r) => r.name);
}

/** Exact row counts of every table. */
export async function tableCounts(db: Knex | Knex.Transaction): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of await userTables(db as Knex)) {
    const { rows } = await db.raw<{ rows: Array<{ n: string }> }>(`SELECT count(*) AS n FROM ${t}`);
    out[t] = Number(rows[0]!.n);
  }
  return out;
}

/** The signed statement's content. */
export interface DecommissionStatementBody {
  format: 'uurwerk.decommission.statement';
  version: 1;
  organisation: string;
  decommissioned_at: string;
  actor: string;
  archive: { file: string; sha256: string; bytes: number };
  destroyed: {
    /** Rows per table (`schema.table`) at the moment of destruction; every table was dropped. */
    tables: Record<string, number>;
    rows_total: number;
    /** Data keys destroyed with the database (their wrapped copies) and the KEKs that could unwrap them. */
    data_keys: number;
    kek_versions: number[];
    keyring_files: number;
    /** The audit log's end as the final checkpoint signed it. */
    audit: { last_seq: number; last_checkpoint: number | null; head_hash: string | null };
  };
  signing_key: { key_id: string; algorithm: 'Ed25519'; public_key_pem: string; fingerprint_sha256: string };
}

/** The statement file: the body and its Ed25519 signature over the body's canonical JSON (base64). */
export interface DecommissionStatement {
  statement: DecommissionStatementBody;
  signature: string;
}

/** Checks a statement's signature against the public key it carries (compare its fingerprint out of band). */
export function verifyStatement(s: DecommissionStatement): boolean {
  try {
    const key = createPublicKey(s.statement.signing_key.public_key_pem);
    return verify(null, Buffer.from(canonicalJson(s.statement as unknown as JsonValue), 'utf8'), key, Buffer.from(s.signature, 'base64'));
  } catch {
    return false;
  }
}

/**
 * Records the decommissioning in the audit log, signs a last checkpoint over it,
 * counts what is about to go and signs the statement — all while the keys still
 * exist. Changes nothing else; `destroyAll` does the destruction.
 */
export async function prepareStatement(deps: DecommissionDeps, archive: { file: string; text: string }, actor: string, now: Date): Promise<DecommissionStatement> {
  const sha256 = createHash('sha256').update(archive.text, 'utf8').digest('hex');
  await deps.db.transaction((trx) => deps.audit.record(trx, { action: AUDIT_ACTIONS.applianceDecommissioned, actorId: actor, payload: { archive_sha256: sha256 } }));
  await deps.audit.flush(); // chained now, so the last checkpoint signs over it
  await createCheckpoint(deps.db, deps.keyring);
  const last = (await deps.db.withSchema('audit').table('checkpoints').orderBy('number', 'desc').first()) as { number: string; last_seq: string; head_hash: string } | undefined;
  const tables = await tableCounts(deps.db);
  const dataKeys = tables['public.data_keys'] ?? 0;
  const k = deps.keyring.auditSigningKey();
  const statement: DecommissionStatementBody = {
    format: 'uurwerk.decommission.statement',
    version: 1,
    organisation: deps.config.ui.organisation_name,
    decommissioned_at: now.toISOString(),
    actor,
    archive: { file: path.basename(archive.file), sha256, bytes: Buffer.byteLength(archive.text, 'utf8') },
    destroyed: {
      tables,
      rows_total: Object.values(tables).reduce((a, b) => a + b, 0),
      data_keys: dataKeys,
      kek_versions: deps.keyring.versions(),
      keyring_files: readdirSync(deps.keyring.dir).length,
      audit: { last_seq: last ? Number(last.last_seq) : 0, last_checkpoint: last ? Number(last.number) : null, head_hash: last?.head_hash ?? null },
    },
    signing_key: {
      key_id: k.keyId,
      algorithm: 'Ed25519',
      public_key_pem: k.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      fingerprint_sha256: publicKeyFingerprint(k.publicKey),
    },
  };
  const signature = sign(null, Buffer.from(canonicalJson(statement as unknown as JsonValue), 'utf8'), k.privateKey).toString('base64');
  return { statement, signature };
}

/**
 * Destroys all data and keys: every schema of the database dropped in one
 * transaction (all or nothing; `public` recreated empty, as a new database has it),
 * then every keyring file overwritten with zeros and removed, and its directory.
 */
export async function destroyAll(db: Knex, keyringDir: string): Promise<void> {
  await db.transaction(async (trx) => {
    // A running appliance holding locks makes this fail clearly rather than wait.
    await trx.raw(`SET LOCAL lock_timeout = '10s'`);
    const { rows } = await trx.raw<{ rows: Array<{ name: string }> }>(
      `SELECT quote_ident(nspname) AS name FROM pg_namespace
       WHERE nspname NOT IN ('information_schema') AND nspname NOT LIKE 'pg\\_%' ORDER BY 1`,
    );
    for (const s of rows) await trx.raw(`DROP SCHEMA ${s.name} CASCADE`);
    await trx.raw('CREATE SCHEMA public');
  });
  for (const e of readdirSync(keyringDir, { withFileTypes: true })) {
    const p = path.join(keyringDir, e.name);
    if (e.isFile()) destroyFile(p);
    else rmSync(p, { recursive: true, force: true });
  }
  rmdirSync(keyringDir);
}
