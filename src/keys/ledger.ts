import { closeSync, existsSync, fsyncSync, openSync, readFileSync, statSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { KeyringError } from './errors.js';
import { writePrivateFile } from './keyring.js';
import type { KeyPurpose, ShredLedger, ShredRecord } from './types.js';

/**
 * The shred ledger: an append-only file beside the keyring (`shredded.jsonl`, 0600),
 * one JSON line per destroyed data key (key id, subject id, purpose, year, time; no
 * key material, no names). It lives outside the database so that a restored dump
 * cannot bring a shredded key back: at start and after a restore every key it names
 * is destroyed again (replay.ts). Each append is fsynced before the shredding
 * transaction commits. A torn last line (a crash mid-append, whose shred therefore
 * never committed) is ignored on reading and cut off before the next append.
 */

/** File name of the ledger inside the keyring directory. */
export const LEDGER_FILE = 'shredded.jsonl';

/** Every key purpose, for checking lines read back (the same list as KeyPurpose). */
const PURPOSES = ['record', 'draft', 'note', 'capture', 'audit', 'profile', 'mail'] as const satisfies readonly KeyPurpose[];

const recordSchema = z.strictObject({
  keyId: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
  subject: z.string().min(1).max(200),
  purpose: z.enum(PURPOSES),
  // 0: the year is not known (caught up from a tombstone of a whole-subject shred).
  year: z.number().int().min(0).max(9999),
  at: z.iso.datetime({ offset: true }),
});

/** What reading the ledger found. */
export interface LedgerContents {
  records: ShredRecord[];
  /** The file ended in an incomplete line (ignored). */
  torn: boolean;
  /** Unreadable lines before the last (only when read leniently, for a merge). */
  damaged?: string[];
}

/** The ledger file of one keyring directory. */
export interface FileShredLedger extends ShredLedger {
  /** Absolute path of the file. */
  readonly file: string;
  /** Reads every record (a torn last line is ignored; any other bad line throws). */
  read(): LedgerContents;
  /**
   * Writes the union of the file and `records` (by key id), replacing the file
   * atomically. Damaged lines of the file are kept aside in `shredded.jsonl.damaged`.
   */
  merge(records: readonly ShredRecord[]): { added: number; damaged: number };
}

/**
 * Parses ledger text; a bad line other than an unterminated last one throws, naming
 * the line — or, with `lenient`, is returned in `damaged`.
 */
export function parseLedger(text: string, file = LEDGER_FILE, opts: { lenient?: boolean } = {}): LedgerContents {
  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  const records: ShredRecord[] = [];
  const damaged: string[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const parsed = parseLine(line);
    if (!parsed && opts.lenient) damaged.push(line);
    else if (!parsed) {
      throw new KeyringError(
        `shred ledger ${file} is damaged at line ${i + 1}`,
        `merge the keyring backup's ledger with its readable lines (\`uurwerk keys:restore --in FILE --force\`; the damaged lines are kept in ${LEDGER_FILE}.damaged), ` +
          'or move the file away and rebuild it from the database with `uurwerk keys:ledger --rebuild-from-database`',
      );
    } else records.push(parsed);
  });
  // The last piece has no newline: either empty (a clean file) or a torn append.
  let torn = false;
  if (last.trim() !== '') {
    const parsed = parseLine(last);
    if (parsed) records.push(parsed);
    else torn = true;
  }
  return opts.lenient ? { records, torn, damaged } : { records, torn };
}

function parseLine(line: string): ShredRecord | undefined {
  try {
    const r = recordSchema.safeParse(JSON.parse(line));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/** One record as its ledger line (fixed field order, newline-terminated). */
export function formatRecord(r: ShredRecord): string {
  return `${JSON.stringify({ keyId: r.keyId, subject: r.subject, purpose: r.purpose, year: r.year, at: r.at })}\n`;
}

/** The union of two record lists by key id (the earlier record of a key wins), oldest first. */
export function unionRecords(a: readonly ShredRecord[], b: readonly ShredRecord[]): ShredRecord[] {
  const byId = new Map<string, ShredRecord>();
  for (const r of [...a, ...b]) {
    const had = byId.get(r.keyId);
    if (!had || r.at < had.at) byId.set(r.keyId, r);
  }
  return [...byId.values()].sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0));
}

function checkRecord(r: ShredRecord): void {
  const res = recordSchema.safeParse(r);
  if (!res.success) throw new TypeError(`not a valid shred record: ${res.error.issues.map((i) => i.path.join('.')).join(', ')}`);
}

/** Cuts a torn last line off, so the next append starts on a line of its own. */
async function cutTornTail(file: string): Promise<void> {
  if (!existsSync(file)) return;
  const fh = await openFile(file, 'r+');
  try {
    const { size } = await fh.stat();
    if (size === 0) return;
    // Only the last byte is read on the usual path; the whole file only after a crash.
    const last = Buffer.alloc(1);
    await fh.read(last, 0, 1, size - 1);
    if (last[0] === 0x0a) return;
    const text = await fh.readFile();
    await fh.truncate(text.lastIndexOf(0x0a) + 1);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The ledger in keyring directory `dir`. Appends from this process are queued one
 * after the other; each is one write of whole lines with O_APPEND, then fsync (and
 * an fsync of the directory when the file was just created).
 */
export function openShredLedger(dir: string): FileShredLedger {
  const file = path.join(path.resolve(dir), LEDGER_FILE);
  // Group commit: records handed in while an append is being written and fsynced go
  // out together in the next one, so concurrent shreds share one fsync.
  let waiting: Array<{ entries: readonly ShredRecord[]; done: (err?: unknown) => void }> = [];
  let writing = false;
  async function drain(): Promise<void> {
    writing = true;
    while (waiting.length) {
      const batch = waiting;
      waiting = [];
      const err = await append(batch.flatMap((b) => b.entries)).then(() => undefined, (e: unknown) => e ?? new Error('ledger append failed'));
      for (const b of batch) b.done(err);
    }
    writing = false;
  }

  async function append(entries: readonly ShredRecord[]): Promise<void> {
    await cutTornTail(file);
    const created = !existsSync(file);
    const fh = await openFile(file, 'a', 0o600);
    try {
      await fh.write(entries.map(formatRecord).join(''));
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (created) syncDir(path.dirname(file));
  }

  return {
    file,
    async record(entries) {
      if (entries.length === 0) return;
      for (const e of entries) checkRecord(e);
      return new Promise<void>((resolve, reject) => {
        waiting.push({ entries, done: (err) => (err === undefined ? resolve() : reject(err)) });
        if (!writing) void drain();
      });
    },
    read() {
      if (!existsSync(file)) return { records: [], torn: false };
      if (!statSync(file).isFile()) throw new KeyringError(`shred ledger ${file} is not a regular file`);
      return parseLedger(readFileSync(file, 'utf8'), file);
    },
    merge(records) {
      for (const r of records) checkRecord(r);
      const now = existsSync(file) ? parseLedger(readFileSync(file, 'utf8'), file, { lenient: true }) : { records: [], torn: false, damaged: [] };
      const damaged = now.damaged ?? [];
      const merged = unionRecords(now.records, records);
      const added = merged.length - new Set(now.records.map((r) => r.keyId)).size;
      if (damaged.length) {
        const aside = `${file}.damaged`;
        const before = existsSync(aside) ? readFileSync(aside, 'utf8') : '';
        writePrivateFile(path.dirname(file), path.basename(aside), `${before}${damaged.join('\n')}\n`, { overwrite: true });
      }
      if (added > 0 || now.torn || damaged.length) writePrivateFile(path.dirname(file), LEDGER_FILE, merged.map(formatRecord).join(''), { overwrite: true });
      return { added, damaged: damaged.length };
    },
  };
}

/** A purpose read from the database; keys made before purposes existed are `record` keys. */
export function purposeOf(value: string | null | undefined): KeyPurpose {
  return (PURPOSES as readonly string[]).includes(value ?? '') ? (value as KeyPurpose) : 'record';
}
