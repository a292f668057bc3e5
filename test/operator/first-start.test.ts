/**
 * The first start prints one line saying how to create the first operator, only while
 * no account exists, in the form that works for how Uurwerk was started.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { operatorCreateCommand, startedFromCheckout } from '../../src/cli/first-start.js';
import { codeRoot } from '../../src/platform/paths.js';
import { spawnServe, waitForServe } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/db.js';
import { freePort } from '../helpers/net.js';
import { repoRoot } from '../helpers/env.js';

test('the command fits how Uurwerk was started: a checkout (tsx or dist/) or the installed bundle', (t) => {
  t.true(startedFromCheckout(codeRoot), 'the code this test runs: the checkout under tsx, its .test-build/ compiled');
  t.true(startedFromCheckout(repoRoot), 'this checkout');
  t.true(startedFromCheckout(path.join(repoRoot, 'dist')), 'npm start runs dist/ inside the checkout');
  const bundle = mkdtempSync(path.join(tmpdir(), 'uurwerk-bundle-'));
  t.teardown(() => rmSync(bundle, { recursive: true, force: true }));
  mkdirSync(path.join(bundle, 'dist', 'src'), { recursive: true });
  writeFileSync(path.join(bundle, 'dist', 'src', 'main.js'), '');
  t.false(startedFromCheckout(path.join(bundle, 'dist')), 'the bundle has no sources');
  t.is(operatorCreateCommand(true), 'npm run uurwerk -- operator:create --username NAME --password-file FILE');
  t.is(operatorCreateCommand(false, '/etc/uurwerk/config.yaml'), 'uurwerk operator:create --username NAME --password-file FILE --config /etc/uurwerk/config.yaml');
});

test('serve prints one hint line (a JSON log record) while no account exists, and none once one does', async (t) => {
  t.timeout(300_000);
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const dir = mkdtempSync(path.join(tmpdir(), 'uurwerk-first-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, `data_dir: ${dir}/data\nserver:\n  port: ${port}\ndatabase:\n  url: ${db.url}\nlog:\n  format: json\n`);
  const start = async () => {
    const serve = spawnServe(file);
    t.teardown(() => serve.child.kill('SIGKILL'));
    await waitForServe(serve, `http://127.0.0.1:${port}/readyz`);
    serve.child.kill('SIGTERM');
    await serve.exited;
    return serve.output().split('\n').filter((l) => l.includes('operator:create'));
  };
  const first = await start();
  t.is(first.length, 1, first.join('\n'));
  const record = JSON.parse(first[0]!) as { msg: string; hint: string };
  t.is(record.hint, 'first_operator');
  t.is(record.msg, `No account exists yet. Create the first operator with: npm run uurwerk -- operator:create --username NAME --password-file FILE --config ${file} (or give the password on standard input)`);

  await db.knex('accounts').insert({ source: 'local', username: 'someone' });
  t.deepEqual(await start(), [], 'no hint once an account exists');
});
