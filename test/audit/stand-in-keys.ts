import { createCipheriv, createDecipheriv, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import type { CipherRef, Keyring, KeyService } from '../../src/keys/types.js';

/**
 * TEST STAND-IN, not the real key service: AES-256-GCM with per-subject keys held in
 * memory and a fresh Ed25519 pair, implementing only the src/keys/types.ts contract.
 * The audit tests use it so they depend on the contract, not on the keyring on disk.
 */
export function standInKeys(): KeyService & Keyring & { shredded: Set<string> } {
  const deks = new Map<string, Buffer>();
  const shredded = new Set<string>();
  const signing = generateKeyPairSync('ed25519');
  const keyId = `stand-in-${randomUUID().slice(0, 8)}`;
  const aad = (subject: string, ref: CipherRef) => Buffer.from(JSON.stringify([subject, ref.table, ref.column, ref.rowId]));
  return {
    shredded,
    dir: '/nonexistent/stand-in-keyring',
    auditSigningKey: () => ({ ...signing, keyId }),
    async encrypt(_db, subject, ref, plaintext) {
      let dek = deks.get(subject);
      if (!dek) deks.set(subject, (dek = randomBytes(32)));
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', dek, iv).setAAD(aad(subject, ref));
      const body = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
      return `standin:${iv.toString('base64')}:${body.toString('base64')}:${c.getAuthTag().toString('base64')}`;
    },
    async decrypt(_db, subject, ref, envelope) {
      const dek = deks.get(subject);
      if (!dek) throw new Error(shredded.has(subject) ? 'key shredded' : 'no key');
      const [, iv, body, tag] = envelope.split(':');
      const d = createDecipheriv('aes-256-gcm', dek, Buffer.from(iv!, 'base64')).setAAD(aad(subject, ref));
      d.setAuthTag(Buffer.from(tag!, 'base64'));
      return Buffer.concat([d.update(Buffer.from(body!, 'base64')), d.final()]).toString('utf8');
    },
    async shred(_db, subject) {
      shredded.add(subject);
      return deks.delete(subject) ? 1 : 0;
    },
  };
}
