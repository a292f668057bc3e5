import { chmodSync, cpSync, existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { writeManifest } from '../../src/ops/bundle.js';
import { freePort } from '../helpers/net.js';
import { bundleTarball, run, unpackBundle } from './bundle-fixture.js';

/**
 * installer/*.sh for real, as root, into a scratch root (PREFIX/ETC_DIR/VAR_DIR/...
 * overridden) with a service user of its own, inside a network namespace without
 * network: fresh install, second run, upgrade that fails, upgrade, rollback,
 * uninstall and purge. The steps build on each other, so they run serially.
 */

const USER = 'uurwerk-it';
/** Everything this file writes lives under `work` (bundle copies) and `scratch` (the install root). */
let work = '';
let base = '';
let scratch = '';
let env: NodeJS.ProcessEnv = {};
/** The installed appliance's port, asked from the OS and kept for the file's life. */
let port = 0;

function mode(p: string): number {
  return statSync(p).mode & 0o777;
}

interface Result {
  code: number;
  out: string;
}

/** Runs an installer script offline (fresh network namespace, loopback only). */
async function installer(bundleRoot: string, script: string, args: string[] = []): Promise<Result> {
  const cmd = `ip link set lo up && exec sh "$0" "$@"`;
  try {
    const { stdout, stderr } = await run('unshare', ['-n', 'sh', '-c', cmd, path.join(bundleRoot, 'installer', script), ...args], { env, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: `${e.stdout}${e.stderr}` };
  }
}

/** A copy of the bundle as another version, optionally with one more migration. */
async function variant(version: string, migration?: { name: string; source: string }): Promise<string> {
  const dir = path.join(work, `v-${version}`, `uurwerk-${version}`);
  cpSync(base, dir, { recursive: true, verbatimSymlinks: true });
  chmodSync(path.dirname(dir), 0o755);
  writeFileSync(path.join(dir, 'VERSION'), `${version}\n`);
  const pkgFile = path.join(dir, 'package.json');
  writeFileSync(pkgFile, JSON.stringify({ ...JSON.parse(readFileSync(pkgFile, 'utf8')), version }, null, 2));
  if (migration) writeFileSync(path.join(dir, 'dist', 'migrations', `${migration.name}.js`), migration.source);
  await writeManifest(dir);
  return dir;
}

async function cliAsUser(args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec runuser -u "$0" -- "$@"', USER, 'env', `UURWERK_CONFIG=${env.ETC_DIR}/config.yaml`, `${env.PREFIX}/current/bin/uurwerk`, ...args]);
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: `${e.stdout}${e.stderr}` };
  }
}

test.before(async (t) => {
  t.timeout(900_000); // the first file to ask builds the bundle
  work = mkdtempSync(path.join(tmpdir(), 'uurwerk-install-test-'));
  chmodSync(work, 0o755);
  base = await unpackBundle(await bundleTarball(), work);
  scratch = mkdtempSync(path.join(tmpdir(), 'uurwerk-root-'));
  chmodSync(scratch, 0o755);
  port = await freePort();
  env = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    PREFIX: path.join(scratch, 'opt', 'uurwerk'),
    ETC_DIR: path.join(scratch, 'etc', 'uurwerk'),
    VAR_DIR: path.join(scratch, 'var', 'lib', 'uurwerk'),
    SYSTEMD_DIR: path.join(scratch, 'etc', 'systemd', 'system'),
    BIN_DIR: path.join(scratch, 'usr', 'local', 'bin'),
    UURWERK_USER: USER,
    UURWERK_SYSTEMCTL: 'no',
    UURWERK_PORT: String(port),
    UURWERK_PG_PORT: String(await freePort()),
  };
});

test.after.always(async () => {
  // Leaves no user behind even when a step failed before the purge.
  await run('sh', ['-c', `userdel ${USER} 2>/dev/null; groupdel ${USER} 2>/dev/null; true`]);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

test.serial('fresh install: user, directories and modes, config from the example, migration, units, current link', async (t) => {
  t.timeout(300_000);
  const res = await installer(base, 'install.sh');
  t.is(res.code, 0, res.out);
  const version = readFileSync(path.join(base, 'VERSION'), 'utf8').trim();
  t.is(readlinkSync(path.join(env.PREFIX!, 'current')), version);
  await t.notThrowsAsync(run('id', [USER]));
  t.is(mode(env.VAR_DIR!), 0o750);
  t.is(mode(path.join(env.VAR_DIR!, 'keys')), 0o700, 'keyring directory: owner only');
  t.is(mode(path.join(env.ETC_DIR!, 'config.yaml')), 0o640);
  const config = readFileSync(path.join(env.ETC_DIR!, 'config.yaml'), 'utf8');
  t.regex(config, new RegExp(`^data_dir: ${env.VAR_DIR}$`, 'm'));
  t.regex(config, new RegExp(`^ {2}port: ${port}$`, 'm'));
  t.regex(res.out, /applied \d+ migration/);
  t.regex(res.out, /operator:create/, 'tells how to create the first operator');
  t.true(lstatSync(path.join(env.BIN_DIR!, 'uurwerk')).isSymbolicLink());
  const unit = readFileSync(path.join(env.SYSTEMD_DIR!, 'uurwerk.service'), 'utf8');
  t.regex(unit, new RegExp(`^ExecStart=${env.PREFIX}/current/bin/uurwerk serve$`, 'm'));
  t.regex(unit, new RegExp(`^User=${USER}$`, 'm'));
  // The installed units point at files that exist, so verify checks everything.
  const units = ['uurwerk.service', 'uurwerk-backup.service', 'uurwerk-backup.timer'].map((u) => path.join(env.SYSTEMD_DIR!, u));
  const verify = await run('systemd-analyze', ['verify', ...units]);
  t.is(verify.stderr.trim(), '', 'systemd-analyze verify is clean');
  const status = await cliAsUser(['migrate', '--status']);
  t.is(status.code, 0, status.out);
  t.regex(status.out, /pending: 0/);
});

test.serial('second run changes nothing and never overwrites the configuration', async (t) => {
  t.timeout(300_000);
  const configFile = path.join(env.ETC_DIR!, 'config.yaml');
  writeFileSync(configFile, readFileSync(configFile, 'utf8') + '# edited by the operator\n');
  const before = readFileSync(configFile, 'utf8');
  const unitBefore = readFileSync(path.join(env.SYSTEMD_DIR!, 'uurwerk.service'), 'utf8');
  const res = await installer(base, 'install.sh');
  t.is(res.code, 0, res.out);
  t.regex(res.out, /already current/);
  t.regex(res.out, /database is up to date/);
  t.is(readFileSync(configFile, 'utf8'), before);
  t.is(readFileSync(path.join(env.SYSTEMD_DIR!, 'uurwerk.service'), 'utf8'), unitBefore);
});

test.serial('a credential file gets a LoadCredential= drop-in for the service and the backup', async (t) => {
  t.timeout(300_000);
  const cred = path.join(env.ETC_DIR!, 'credentials', 'mail-password');
  writeFileSync(cred, 'secret\n', { mode: 0o640 });
  const res = await installer(base, 'install.sh');
  t.is(res.code, 0, res.out);
  for (const unit of ['uurwerk.service', 'uurwerk-backup.service']) {
    const dropin = readFileSync(path.join(env.SYSTEMD_DIR!, `${unit}.d`, 'credentials.conf'), 'utf8');
    t.regex(dropin, new RegExp(`^LoadCredential=mail-password:${cred}$`, 'm'));
  }
  rmSync(cred);
  const again = await installer(base, 'install.sh');
  t.is(again.code, 0, again.out);
  t.false(existsSync(path.join(env.SYSTEMD_DIR!, 'uurwerk.service.d', 'credentials.conf')));
});

test.serial('an upgrade whose migration fails leaves current on the old version, with a backup taken first', async (t) => {
  t.timeout(300_000);
  const old = readlinkSync(path.join(env.PREFIX!, 'current'));
  const bad = await variant('99.0.0-broken', {
    name: '29990101000000_broken_on_purpose',
    source: "export async function up() { throw new Error('broken on purpose'); }\nexport async function down() {}\n",
  });
  const res = await installer(bad, 'install.sh');
  t.not(res.code, 0);
  t.regex(res.out, /broken on purpose/);
  t.regex(res.out, /migration to 99\.0\.0-broken failed/);
  t.is(readlinkSync(path.join(env.PREFIX!, 'current')), old);
  t.regex(res.out, /database backed up to .*pre-upgrade-/);
  const status = await cliAsUser(['migrate', '--status']);
  t.notRegex(status.out, /broken_on_purpose/);
});

test.serial('upgrade switches current after migrating; rollback restores the pre-upgrade database and the old version', async (t) => {
  t.timeout(300_000);
  const old = readlinkSync(path.join(env.PREFIX!, 'current'));
  const next = await variant('99.0.1', {
    name: '29990102000000_upgrade_probe',
    source: "export async function up(knex) { await knex.schema.createTable('upgrade_probe', (t) => t.integer('id')); }\nexport async function down(knex) { await knex.schema.dropTable('upgrade_probe'); }\n",
  });
  const res = await installer(next, 'install.sh');
  t.is(res.code, 0, res.out);
  t.is(readlinkSync(path.join(env.PREFIX!, 'current')), '99.0.1');
  t.regex((await cliAsUser(['migrate', '--status'])).out, /\[x\] 29990102000000_upgrade_probe/);

  const back = await installer(path.join(env.PREFIX!, 'current'), 'rollback.sh');
  t.is(back.code, 0, back.out);
  t.is(readlinkSync(path.join(env.PREFIX!, 'current')), old);
  const status = await cliAsUser(['migrate', '--status']);
  t.is(status.code, 0, status.out);
  t.notRegex(status.out, /upgrade_probe/, 'the database is the pre-upgrade one again');
  t.false(existsSync(path.join(env.PREFIX!, '.previous')));
  const twice = await installer(path.join(env.PREFIX!, 'current'), 'rollback.sh');
  t.not(twice.code, 0, 'nothing left to roll back');
});

test.serial('uninstall keeps configuration, data and keys; --purge removes them and the service user', async (t) => {
  t.timeout(300_000);
  const res = await installer(base, 'uninstall.sh');
  t.is(res.code, 0, res.out);
  t.false(existsSync(env.PREFIX!));
  t.false(existsSync(path.join(env.SYSTEMD_DIR!, 'uurwerk.service')));
  t.true(existsSync(path.join(env.ETC_DIR!, 'config.yaml')));
  t.true(existsSync(path.join(env.VAR_DIR!, 'keys')));
  t.true(existsSync(path.join(env.VAR_DIR!, 'postgres', 'PG_VERSION')));
  const purge = await installer(base, 'uninstall.sh', ['--purge']);
  t.is(purge.code, 0, purge.out);
  t.false(existsSync(env.ETC_DIR!));
  t.false(existsSync(env.VAR_DIR!));
  await t.throwsAsync(run('id', [USER]));
});
