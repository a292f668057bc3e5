import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { KeyObject } from 'node:crypto';
import type { Knex } from '../platform/db.js';
import { copyOutInSnapshot } from './export-copy.js';
import { exportLineBuffers } from './export-bytes.js';
import { EVENT_COLUMNS } from './export-rows.js';
import { allCheckpoints, maxSeq } from './repository.js';
import { publicKeyFingerprint, type ExportHeader } from './verify.js';

/**
 * One event as the JSON line `verifyExportFile` reads, built by PostgreSQL: compact,
 * keys in the order the JavaScript export wrote them, `at` as ISO 8601 UTC with
 * milliseconds (the form the hash covers), payload as jsonb prints it (the same
 * values the verifier reads through node-postgres). Exported for the compliance
 * benchmark, which times it beside a plain COPY.
 */
export const EVENT_LINE_SQL = `'{"type":"event","seq":' || seq
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

/**
 * Streams events 1..last as JSON lines into the file: one plain COPY of the rows in
 * the snapshot of `trx`, each line written by Node from the raw bytes of the fields
 * (export-bytes.ts; the bytes `EVENT_LINE_SQL` builds, at a third of the database's
 * work), waiting for the file
 * to drain: memory stays flat whatever the size of the log.
 */
async function writeEvents(trx: Knex.Transaction, last: number, write: (bytes: Buffer) => Promise<void>): Promise<number> {
  let count = 0;
  for await (const b of exportLineBuffers(copyOutInSnapshot(trx, eventsSelect(1, last, { from: null, to: null }), ''))) {
    count += b.count;
    await write(b.bytes);
  }
  return count;
}

/**
 * Writes the whole log as JSON lines for an auditor: a header with the public
 * key(s), then every checkpoint, then every event (the order `verifyExportFile`
 * reads). One REPEATABLE READ snapshot keeps events and checkpoints consistent.
 * The events come from one plain COPY, so the export runs near the speed of a plain
 * dump and in constant memory. Personal details stay encrypted; the file holds
 * no key that decrypts them.
 */
export async function exportAuditLog(db: Knex, outFile: string, publicKeys: ReadonlyArray<{ keyId: string; publicKey: KeyObject }>): Promise<{ events: number; checkpoints: number }> {
  const out = createWriteStream(outFile, { encoding: 'utf8', mode: 0o600, flags: 'wx' });
  await once(out, 'open');
  const write = async (data: string | Buffer): Promise<void> => {
    if (!out.write(data)) await once(out, 'drain');
  };
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
        await write([header, ...cps.map((cp) => ({ type: 'checkpoint', ...cp }))].map((o) => JSON.stringify(o) + '\n').join(''));
        const events = await writeEvents(trx, last, write);
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

type Db = Knex | Knex.Transaction;

/** A period of event time, [from, to); null leaves that side open. */
export interface EventPeriod {
  from: Date | null;
  to: Date | null;
}

/**
 * The seq bounds of the events whose time falls in the period (null when none),
 * found through the index on `at`: two index probes, whatever the size of the log.
 */
export async function seqBoundsOfPeriod(db: Db, period: EventPeriod): Promise<{ first: number; last: number } | null> {
  const ev = () => db.withSchema('audit').table('events');
  const firstQ = ev().first('seq');
  if (period.from) void firstQ.where('at', '>=', period.from).orderBy([{ column: 'at' }, { column: 'seq' }]);
  else void firstQ.orderBy('seq');
  const lastQ = ev().first('seq');
  if (period.to) void lastQ.where('at', '<', period.to).orderBy([{ column: 'at', order: 'desc' }, { column: 'seq', order: 'desc' }]);
  else void lastQ.orderBy('seq', 'desc');
  const [f, l] = (await Promise.all([firstQ, lastQ])) as Array<{ seq: string | number } | undefined>;
  if (!f || !l || Number(f.seq) > Number(l.seq)) return null;
  return { first: Number(f.seq), last: Number(l.seq) };
}

/**
 * Streams the events first..last whose time lies in the period as JSON lines (the
 * `audit:export` line, chain hashes included), in batches of ready-made text built by
 * PostgreSQL (keyset on seq, the next batch requested before the current one is
 * handed out): memory stays flat whatever the size of the log.
 */
export async function* eventLineBatches(db: Db, first: number, last: number, period: EventPeriod = { from: null, to: null }, batch = 5000): AsyncGenerator<{ text: string; count: number; lastSeq: number }> {
  type Line = { seq: string | number; line: string };
  const fetch = (after: number): Promise<Line[]> => {
    const q = db.withSchema('audit').table('events').select('seq', db.raw(`${EVENT_LINE_SQL} AS line`))
      .where('seq', '>', after).andWhere('seq', '<=', last).orderBy('seq').limit(batch);
    if (period.from) void q.andWhere('at', '>=', period.from);
    if (period.to) void q.andWhere('at', '<', period.to);
    return q as unknown as Promise<Line[]>;
  };
  let pending: Promise<Line[]> | null = fetch(first - 1);
  while (pending) {
    const rows: Line[] = await pending;
    pending = rows.length < batch ? null : fetch(Number(rows[rows.length - 1]!.seq));
    // A consumer that stops early leaves the prefetch unread; it must not become an unhandled rejection.
    pending?.catch(() => undefined);
    if (!rows.length) return;
    let text = '';
    for (const r of rows) text += r.line + '\n';
    yield { text, count: rows.length, lastSeq: Number(rows[rows.length - 1]!.seq) };
  }
}

/**
 * Streams the same JSON lines as `eventLineBatches`, but from one plain `COPY ... TO
 * STDOUT` of the rows on a connection of its own that shares the snapshot of `trx`
 * (export-copy.ts): node-postgres builds no row objects, the database does no
 * formatting, and pg-copy-streams pauses the socket while the consumer is behind, so
 * memory stays flat. Node writes the lines byte to byte from the raw fields
 * (export-bytes.ts). Yields blocks of about 256 KB of whole lines, as bytes (the
 * zip takes them as they are), and the count of lines in each.
 */
export async function* eventLinesByCopy(trx: Knex.Transaction, first: number, last: number, period: EventPeriod = { from: null, to: null }): AsyncGenerator<{ bytes: Buffer; count: number }> {
  yield* exportLineBuffers(copyOutInSnapshot(trx, eventsSelect(first, last, period), ''));
}

/** The plain select of events first..last in the period, by seq (trusted SQL: numbers and ISO times only). */
function eventsSelect(first: number, last: number, period: EventPeriod): string {
  const where = [`seq BETWEEN ${Math.trunc(first)} AND ${Math.trunc(Math.min(last, Number.MAX_SAFE_INTEGER))}`];
  if (period.from) where.push(`at >= '${period.from.toISOString()}'::timestamptz`);
  if (period.to) where.push(`at < '${period.to.toISOString()}'::timestamptz`);
  return `SELECT ${EVENT_COLUMNS} FROM audit.events WHERE ${where.join(' AND ')} ORDER BY seq`;
}
