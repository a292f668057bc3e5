import { createAuditLog, keyEventHook, type AuditLog } from '../audit/service.js';
import type { DiskKeyring } from '../keys/keyring.js';
import { openShredLedger, type FileShredLedger } from '../keys/ledger.js';
import { openKeyring } from '../keys/lifecycle.js';
import { replayShredLedger } from '../keys/replay.js';
import { createKeyService } from '../keys/service.js';
import type { KeyEventHook, KeyService } from '../keys/types.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';

/** The shared services every domain receives explicitly (no global singletons). */
export interface CoreServices {
  keyring: DiskKeyring;
  keys: KeyService;
  audit: AuditLog;
  /** The record of every shredded key, beside the keyring. */
  ledger: FileShredLedger;
}

/**
 * Opens the keyring (refusing to go on when its permissions, keys or canary are
 * wrong), then builds the key service and the audit log on it. Key operations are
 * recorded in the audit log through the keys domain's hook. Before anything uses
 * them, the shred ledger is replayed: keys it names that a restored database brought
 * back are destroyed again (refused outright when the ledger is lost while the
 * database shows shredding). A second thread of a running appliance (the agent
 * server) passes `replayLedger: false`: the main thread replayed before starting it,
 * and a replay beside its live shreds could read the ledger between a shred's append
 * and its commit, and destroy that key "again" or append it twice.
 */
export async function openCoreServices(config: Readonly<Config>, db: Knex, logger: Logger, opts: { replayLedger?: boolean } = {}): Promise<CoreServices> {
  // The audit log encrypts personal details with the key service, and key operations
  // (the keyring's creation at first start among them) are recorded in the audit log.
  // The log gets a key service that forwards to the real one once it exists; key
  // events carry no personal details, so nothing is encrypted before then.
  const holder: { keys?: KeyService } = {};
  const forward: KeyService = {
    encrypt: (...args) => holder.keys!.encrypt(...args),
    decrypt: (...args) => holder.keys!.decrypt(...args),
    decryptMany: (...args) => holder.keys!.decryptMany(...args),
    shred: (...args) => holder.keys!.shred(...args),
    encryptMany: (...args) => holder.keys!.encryptMany(...args),
    dataKeysColumn: (...args) => holder.keys!.dataKeysColumn(...args),
    decryptEach: (...args) => holder.keys!.decryptEach(...args),
    shredKeys: (...args) => holder.keys!.shredKeys(...args),
    keySlots: (...args) => holder.keys!.keySlots(...args),
  };
  const audit = createAuditLog(forward, db);
  const onKeyEvent: KeyEventHook = keyEventHook(audit);
  const keyring = await openKeyring(config, db, { logger, onKeyEvent, actor: 'system' });
  const ledger = openShredLedger(keyring.dir);
  if (opts.replayLedger !== false) await replayShredLedger(db, ledger, { logger, onKeyEvent, actor: 'system' });
  const keys = createKeyService(keyring, logger, { onKeyEvent, ledger });
  holder.keys = keys;
  return { keyring, keys, audit, ledger };
}

/**
 * The audit hook for key commands run from the CLI (`keys:init`, `keys:rotate`, ...),
 * which run before or beside a keyring the key service could use. Key events carry
 * no personal details, so this audit log never needs a data key.
 */
export function keyCommandAuditHook(): KeyEventHook {
  const refuse = (): never => {
    throw new Error('key events carry no personal details; nothing may be encrypted here');
  };
  return keyEventHook(createAuditLog({ encrypt: refuse, decrypt: refuse, decryptMany: refuse, shred: refuse, encryptMany: refuse, dataKeysColumn: refuse, decryptEach: refuse, shredKeys: refuse, keySlots: refuse }));
}
