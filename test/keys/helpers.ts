import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import type { Knex } from '../../src/platform/db.js';
import { openKeyring } from '../../src/keys/lifecycle.js';
import type { DiskKeyring } from '../../src/keys/keyring.js';
import type { KeyEvent, KeyEventHook } from '../../src/keys/types.js';
import { testLogger } from '../helpers/log.js';

/** A temporary data directory removed at teardown; the keyring goes to `<dir>/keys`. */
export function tempDataDir(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-keys-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A hook that collects key events (the audit log stands in here; it is tested on its own). */
export function collectEvents(): { events: KeyEvent[]; hook: KeyEventHook } {
  const events: KeyEvent[] = [];
  return {
    events,
    hook: async (trx, event) => {
      if (!trx.isTransaction) throw new Error('key event outside a transaction');
      events.push(event);
    },
  };
}

/** Opens (creating on first use) a keyring in a fresh data dir against `db`. */
export async function freshKeyring(t: ExecutionContext, db: Knex, hook?: KeyEventHook): Promise<{ keyring: DiskKeyring; dataDir: string }> {
  const dataDir = tempDataDir(t);
  const keyring = await openKeyring({ data_dir: dataDir }, db, { logger: testLogger(t.title), onKeyEvent: hook });
  return { keyring, dataDir };
}
