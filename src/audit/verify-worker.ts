import { parentPort } from 'node:worker_threads';
import { blockFlags } from './export-rows.js';

/**
 * The hashing half of `audit:verify` and `audit:checkpoint` in a thread of its own:
 * takes blocks of COPY text lines (UTF-8 bytes, transferred) and answers, per line,
 * 1 when the row matches its stored hash (verify-pool.ts). Pure CPU work on text: no database, no keys.
 */
parentPort?.on('message', (m: { id: number; bytes: Uint8Array }) => {
  let flags = new Uint8Array(0);
  let error: string | undefined;
  try {
    flags = new Uint8Array(blockFlags(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength).toString('utf8')));
  } catch (err) {
    error = (err as Error).message;
  }
  parentPort!.postMessage({ id: m.id, flags, error }, [flags.buffer]);
});
