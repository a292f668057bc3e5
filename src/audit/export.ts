import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { KeyObject } from 'node:crypto';
import type { Knex } from '../platform/db.js';
import { allCheckpoints, eventsInRange, maxSeq } from './repository.js';
import { publicKeyFingerprint, type ExportHeader } from './verify.js';

/**
 * Writes the whole log as JSON lines for an auditor: a header with the public
 * key(s), then every checkpoint, then every event (the order `verifyExportFile`
 * reads). One REPEATABLE READ snapshot keeps events and checkpoints consistent.
 * Personal details stay encrypted; the file holds no key that decrypts them.
 */
export async function exportAuditLog(db: Knex, outFile: string, publicKeys: ReadonlyArray<{ keyId: string; publicKey: KeyObject }>): Promise<{ events: number; checkpoints: number }> {
  const out = createWriteStream(outFile, { encoding: 'utf8', mode: 0o600, flags: 'wx' });
  await once(out, 'open');
  const write = async (obj: object) => {
    if (!out.write(JSON.stringify(obj) + '\n')) await once(out, 'drain');
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
        await write(header);
        const cps = await allCheckpoints(trx);
        for (const cp of cps) await write({ type: 'checkpoint', ...cp });
        let events = 0;
        for await (const row of eventsInRange(trx, 1, last)) {
          await write({ type: 'event', ...row });
          events++;
        }
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
