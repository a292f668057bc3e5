import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the running code lives: the checkout in development (`tsx`), `dist/` when
 * compiled. Migrations and static assets are looked up relative to it, so the same
 * code finds `.ts` migrations in a checkout and `.js` ones in the bundle (and the
 * web layer its static assets).
 */
export const codeRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The directory holding the migrations for the running code. */
export const migrationsDir = path.join(codeRoot, 'migrations');

/** The package version, read from the nearest package.json above the code. */
export function packageVersion(): string {
  for (const dir of [codeRoot, path.dirname(codeRoot)]) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'uurwerk' && pkg.version) return pkg.version;
    } catch {
      // not in this directory; try the parent (dist/ sits one level below the package)
    }
  }
  return '0.0.0';
}
