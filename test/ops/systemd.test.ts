import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { repoRoot, run } from './bundle-fixture.js';

/**
 * The units as shipped. systemd is not PID 1 on test machines, so the checks are
 * systemd's own offline ones: `systemd-analyze security --offline=yes` here, and
 * `systemd-analyze verify` on the units as installed (test/ops/install.test.ts),
 * where the executables they name exist.
 */

const unitDir = path.join(repoRoot, 'systemd');

for (const unit of ['uurwerk.service', 'uurwerk-backup.service']) {
  test(`${unit}: systemd-analyze security --offline=yes rates the exposure below 2.5 ("OK")`, async (t) => {
    const { stdout } = await run('systemd-analyze', ['security', '--offline=yes', '--no-pager', path.join(unitDir, unit)], { env: { ...process.env, SYSTEMD_COLORS: '0' } });
    const m = /Overall exposure level for \S+: (\d+\.\d+) (\w+)/.exec(stdout);
    t.truthy(m, stdout);
    t.true(Number(m![1]) < 2.5, `exposure ${m![1]}`);
    t.is(m![2], 'OK');
  });
}

test('uurwerk.service: service user, restart on failure, readiness, credentials and the hardening the issue lists', (t) => {
  const unit = readFileSync(path.join(unitDir, 'uurwerk.service'), 'utf8');
  for (const line of [
    'User=uurwerk', 'Restart=on-failure', 'Type=exec',
    'ExecStartPost=/opt/uurwerk/current/node/bin/node /opt/uurwerk/current/installer/wait-ready.mjs',
    'BindReadOnlyPaths=-%d:/etc/uurwerk/credentials',
    'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/uurwerk', 'ProtectHome=yes', 'PrivateTmp=yes',
    'PrivateDevices=yes', 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX', 'SystemCallFilter=@system-service', 'CapabilityBoundingSet=',
  ]) t.true(unit.split('\n').includes(line), line);
});

test('the backup timer is valid and starts the backup service nightly', async (t) => {
  const timer = readFileSync(path.join(unitDir, 'uurwerk-backup.timer'), 'utf8');
  t.regex(timer, /^OnCalendar=\*-\*-\* 02:30:00$/m);
  t.regex(timer, /^Persistent=true$/m);
  const { stderr } = await run('systemd-analyze', ['verify', path.join(unitDir, 'uurwerk-backup.timer')]);
  // The timer names its service, whose executable exists only once installed.
  t.is(stderr.split('\n').filter((l) => l.trim() && !/is not executable: No such file/.test(l)).join('\n'), '');
});

test('the installer scripts pass shellcheck as POSIX sh', async (t) => {
  const scripts = ['install.sh', 'rollback.sh', 'uninstall.sh', 'lib.sh', 'scheduled-backup.sh'].map((f) => path.join('installer', f));
  const res = await run('shellcheck', ['-s', 'sh', '-x', ...scripts, 'test/ops/converge.sh'], { cwd: repoRoot }).then(() => 'clean', (err: { stdout: string }) => err.stdout);
  t.is(res, 'clean');
});
