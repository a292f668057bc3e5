import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Knex } from '../platform/db.js';
import { codeRoot } from '../platform/paths.js';

/**
 * The first start's one-line hint: how to create the first operator, in the form that
 * works for how Uurwerk was started (a checkout has its sources beside the code; the
 * installed bundle has only `dist/` and the `uurwerk` command).
 */

/**
 * True when the running code belongs to a checkout (`src/main.ts` beside it), false for
 * the installed bundle. Compiled code in a checkout sits one level down: dist/ for
 * `npm start`, .test-build/ for the test runner.
 */
export function startedFromCheckout(root = codeRoot): boolean {
  const packageRoot = ['dist', '.test-build'].includes(path.basename(root)) ? path.dirname(root) : root;
  return existsSync(path.join(packageRoot, 'src', 'main.ts'));
}

/** The operator:create command line as this install runs it (with `--config` when one was given). */
export function operatorCreateCommand(fromCheckout: boolean, configFile?: string): string {
  const args = `operator:create --username NAME --password-file FILE${configFile ? ` --config ${configFile}` : ''}`;
  return fromCheckout ? `npm run uurwerk -- ${args}` : `uurwerk ${args}`;
}

/** The hint line while no account exists; undefined once one does. */
export async function firstStartHint(db: Knex, fromCheckout: boolean, configFile?: string): Promise<string | undefined> {
  const any = await db('accounts').first('id');
  if (any) return undefined;
  return `No account exists yet. Create the first operator with: ${operatorCreateCommand(fromCheckout, configFile)} (or give the password on standard input)`;
}
