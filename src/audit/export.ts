import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { KeyObject } from 'node:crypto';
import pg from 'pg';
import type { Knex } from '../platform/db.js';
import { allCheckpoints, maxSeq } from './repository.js';
import { publicKeyFingerprint, type ExportHeader } from './verify.js';

/**
 * One event as the JSON line `verifyExportFile` reads, built by PostgreSQL: compact,
 * keys in the order the JavaScript export wrote them, `at` as ISO 8601 UTC with
 * milliseconds (the form the hash covers), payload as jsonb prints it (the same
 * values the verifier reads through node-postgres).
 */
const EVENT_LINE = `'{"type":"event","seq":' || seq
  || ',"id":' || to_json(id::text)::text
  || ',"at":"' || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"'
  || ',"actor_id":' || to_json(actor_id)::text
  || ',"subject_id":' || coalesce(to_json(subject_id)::text, 'null')
  || ',"action":' || to_json(action)::text
  || ',"object_type":' || coalesce(to_json(object_type)::text, 'null')
  || ',"object_id":' || coalesce(to_json(object_id)::text, 'null')
  || ',"payload":' || payload::text
  || ',"personal":' || coalesce(to_json(personal)::text, 'null')
  || ',"prev_hash":"' || prev_hash || '","hash":"' || hash || '"}'`;

/** COPY's text format doubles backslashes (and would escape raw tabs or newlines, which JSON text never holds). */
const COPY_ESCAPES: Record<string, string> = { '\\': '\\', n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v' };

/**
 * Streams a `COPY ... TO STDOUT` into a file: PostgreSQL sends one message per row,
 * written in 256 kB slices; the socket is paused while the file catches up, so memory
 * stays flat whatever the size of the log. (node-postgres hands COPY data to the
 * active query; this subclass is the whole COPY client.)
 */
class CopyToFile extends pg.Query {
  rows = 0;
  private parts: Buffer[] = [];
  private size = 0;

  constructor(
    sql: string,
    private readonly out: WriteStream,
  ) {
    super(sql);
  }

  handleCopyData(msg: { chunk: Buffer }, connection: { stream: NodeJS.ReadableStream }): void {
    let chunk = msg.chunk;
    if (chunk.includes(0x5c)) chunk = Buffer.from(chunk.toString('utf8').replace(/\\(.)/g, (_m, c: string) => COPY_ESCAPES[c] ?? c), 'utf8');
    this.rows++;
    this.parts.push(chunk);
    this.size += chunk.length;
    if (this.size >= 256 * 1024) this.flush(connection);
  }

  /** Writes what is buffered; pauses the database socket until the file drains. */
  flush(connection?: { stream: NodeJS.ReadableStream }): void {
    if (!this.size) return;
    const ok = this.out.write(Buffer.concat(this.parts, this.size));
    this.parts = [];
    this.size = 0;
    if (!ok && connection) {
      connection.stream.pause();
      this.out.once('drain', () => connection.stream.resume());
    }
  }
}

/** Runs the COPY of events 1..last on the transaction's own connection (same snapshot). */
async function copyEvents(trx: Knex.Transaction, last: number, out: WriteStream): Promise<number> {
  const conn = (await trx.client.acquireConnection()) as pg.Client;
  const q = new CopyToFile(`COPY (SELECT ${EVENT_LINE} FROM audit.events WHERE seq <= ${Math.trunc(last)} ORDER BY seq) TO STDOUT`, out);
  await new Promise<void>((resolve, reject) => {
    q.on('end', () => resolve());
    q.on('error', reject);
    void conn.query(q);
  });
  q.flush();
  return q.rows;
}

/**
 * Writes the whole log as JSON lines for an auditor: a header with the public
 * key(s), then every checkpoint, then every event (the order `verifyExportFile`
 * reads). One REPEATABLE READ snapshot keeps events and checkpoints consistent.
 * Events are streamed by PostgreSQL's COPY, so the export runs near the speed of a
 * plain dump and in constant memory. Personal details stay encrypted; the file holds
 * no key that decrypts them.
 */
export async function exportAuditLog(db: Knex, outFile: string, publicKeys: ReadonlyArray<{ keyId: string; publicKey: KeyObject }>): Promise<{ events: number; checkpoints: number }> {
  const out = createWriteStream(outFile, { encoding: 'utf8', mode: 0o600, flags: 'wx' });
  await once(out, 'open');
  try {
    const counts = await db.transaction(
      async (trx) => {
        const last = await maxSeq(trx);
        const header: ExportHeader = {
          type: 'header',
          format: 'uurwerk.audit.export',
          version: 1,
          exported_at: new Date().toISOString(),
          last_seq: last,
          public_keys: publicKeys.map((k) => ({
            key_id: k.keyId,
            algorithm: 'Ed25519',
            public_key_pem: k.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
            fingerprint_sha256: publicKeyFingerprint(k.publicKey),
          })),
        };
        const cps = await allCheckpoints(trx);
        out.write([header, ...cps.map((cp) => ({ type: 'checkpoint', ...cp }))].map((o) => JSON.stringify(o) + '\n').join(''));
        const events = await copyEvents(trx, last, out);
        return { events, checkpoints: cps.length };
      },
      { isolationLevel: 'repeatable read', readOnly: true },
    );
    out.end();
    await once(out, 'finish');
    return counts;
  } catch (err) {
    out.destroy();
    throw err;
  }
}
