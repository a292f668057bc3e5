/**
 * `npm run bundle [-- --out DIR] [--node RANGE] [--skip-build]`: builds the offline
 * bundle uurwerk-<version>-linux-x64.tar.gz (see src/ops/bundle.ts).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildBundle } from '../src/ops/bundle.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: '.' },
    node: { type: 'string', default: '24' },
    'skip-build': { type: 'boolean', default: false },
  },
});
const repo = path.resolve(import.meta.dirname, '..');
const result = await buildBundle({
  repo, outDir: path.resolve(values.out), nodeRange: values.node, skipBuild: values['skip-build'],
  log: (line) => process.stdout.write(`bundle: ${line}\n`),
});
process.stdout.write(`bundle: ${result.tarball} (uurwerk ${result.version}, node ${result.nodeVersion}, ${result.files} files)\n`);
