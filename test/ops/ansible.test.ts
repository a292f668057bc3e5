import path from 'node:path';
import test from 'ava';
import { freePort } from '../helpers/net.js';
import { bundleTarball, repoRoot, run } from './bundle-fixture.js';

/**
 * The Ansible role for real: syntax check, ansible-lint (production profile), and
 * test/ops/converge.sh, which converges this machine twice with
 * ansible_connection=local (the second run must report changed=0), runs --check
 * before and after, and asks /readyz. Needs root and the Debian packages ansible,
 * ansible-lint, postfix and postgresql.
 */

const ansibleDir = path.join(repoRoot, 'ansible');

test('site.yml passes ansible-playbook --syntax-check', async (t) => {
  const { stdout } = await run('ansible-playbook', ['-i', 'inventory/example.yml', 'site.yml', '--syntax-check'], { cwd: ansibleDir, env: { ...process.env, ANSIBLE_ROLES_PATH: path.join(ansibleDir, 'roles'), ANSIBLE_NOCOLOR: '1' } });
  t.regex(stdout, /playbook: site\.yml/);
});

test('ansible-lint passes with the production profile', async (t) => {
  const { stdout, stderr } = await run('ansible-lint', ['-p', '--profile', 'production', 'ansible/'], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' } });
  t.regex(stdout + stderr, /Passed with production profile: 0 failure\(s\), 0 warning\(s\)/);
});

test('converging this machine twice: second run changed=0, --check changed=0, then /readyz answers', async (t) => {
  t.timeout(900_000);
  const tarball = await bundleTarball();
  // The converged appliance listens on a port the OS handed out, not a fixed one.
  const env = { ...process.env, UURWERK_CONVERGE_PORT: String(await freePort()) };
  const { stdout } = await run('sh', [path.join(repoRoot, 'test/ops/converge.sh'), tarball], { maxBuffer: 64 * 1024 * 1024, env });
  t.regex(stdout, /OK: first run changed=\d+, second run changed=0, --check changed=0, \/readyz ready/);
});
